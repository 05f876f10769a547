// The way out of an overlay (upstream's docker_gwbridge): a container on a non-internal overlay
// gets a second interface on the host's local gateway bridge and its default route there, and
// reaches an "outside" namespace on the underlay (which has no route back to the containers:
// its answers come back through the host's masquerade); a container on an internal overlay gets
// neither. Its gateway endpoint goes when it leaves the overlay.
import t from 'tap'
import { until } from './harness.js'
import {
  createOverlay,
  defaultRoute,
  ipOf,
  settledLeftovers,
  overlayWorld,
  pingOnce,
  snap,
  untilPing,
} from './overlay-dnet.js'

const isRoot = process.getuid?.() === 0

t.test(
  'overlay containers reach the outside through the gateway bridge; internal ones do not',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const w = await overlayWorld(t, 'etcdless', 2)
    const [d1, d2] = w.ds as [(typeof w.ds)[0], (typeof w.ds)[0]]
    // the "outside": a namespace on the underlay that is not a dnet host
    const out = await w.u.addHost('out')
    const before = await snap(w)
    await createOverlay(w, { name: 'ov', subnet: '10.60.0.0/24', vni: 4160 })
    await createOverlay(w, { name: 'ovi', subnet: '10.61.0.0/24', vni: 4161, internal: true })
    await d1.run('ov', 'a')
    const b = ipOf((await d2.run('ov', 'b')).ipv4Address)
    await d1.run('ovi', 'i')

    await untilPing(d1, 'a', b)
    const route = await defaultRoute(d1, 'a')
    t.match(route, /^default via \S+ dev \S+/, `a has a default route: ${route}`)
    const gw = (await d1.networks()).find((n) => n.name === 'docker_gwbridge')
    t.ok(gw, 'host 1 made the local gateway network docker_gwbridge')
    t.equal(gw?.driver, 'bridge', 'docker_gwbridge is a bridge network')
    await untilPing(d1, 'a', out.ip)
    t.pass('a reaches the outside namespace (through the masquerade of host 1)')
    await untilPing(d2, 'b', out.ip)
    t.pass('b, on host 2, too')
    t.ok(await pingOnce(d1, 'a', b), 'the overlay still goes over the overlay')

    t.equal(await defaultRoute(d1, 'i'), '', 'i (internal) has no default route')
    t.notOk(await pingOnce(d1, 'i', out.ip), 'i gets no answer from the outside')

    // leaving the overlay removes the gateway endpoint; the gateway network stays (upstream)
    await d1.detach('a', 'ov', 'a')
    await until('a has no default route', async () => (await defaultRoute(d1, 'a')) === '')
    t.notOk(
      (await d1.services()).some((e) => e.networkName === 'docker_gwbridge'),
      'no gateway endpoint left on host 1 once a left',
    )

    await d1.unpublish('ov', 'a')
    await d1.deleteContainer('a')
    for (const [d, ctr, net] of [
      [d2, 'b', 'ov'],
      [d1, 'i', 'ovi'],
    ] as const) {
      await d.detach(ctr, net, ctr)
      await d.unpublish(net, ctr)
      await d.deleteContainer(ctr)
    }
    for (const n of ['ov', 'ovi']) for (const d of w.ds) await d.deleteNetwork(n)
    for (const d of w.ds)
      if ((await d.networks()).some((n) => n.name === 'docker_gwbridge'))
        await d.deleteNetwork('docker_gwbridge')
    t.same(
      await settledLeftovers(w, before),
      [],
      'nothing left once the gateway network is removed too',
    )
  },
)
