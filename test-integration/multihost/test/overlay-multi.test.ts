// Several networks at once across two dnet hosts: one container on a bridge network and an
// overlay together reaches both; two overlays are isolated from each other (no answer, and no
// FDB entry of one in the other), a container on both reaches both; an `--internal` overlay
// connects its containers and gives them no default route.
import t from 'tap'
import { sh, until } from './harness.js'
import {
  createOverlay,
  defaultRoute,
  ipOf,
  settledLeftovers,
  overlayNamespaces,
  overlayWorld,
  pingOnce,
  snap,
  untilPing,
} from './overlay-dnet.js'

const isRoot = process.getuid?.() === 0

t.test(
  'bridge + overlay, two isolated overlays, an internal overlay',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const w = await overlayWorld(t, 'etcdless', 2)
    const [d1, d2] = w.ds as [(typeof w.ds)[0], (typeof w.ds)[0]]
    const before = await snap(w)
    await createOverlay(w, { name: 'ov1', subnet: '10.75.0.0/24', vni: 4175 })
    await createOverlay(w, { name: 'ov2', subnet: '10.76.0.0/24', vni: 4176 })
    await createOverlay(w, { name: 'ovi', subnet: '10.78.0.0/24', vni: 4178, internal: true })
    await d1.createNetwork({
      name: 'br',
      driver: 'bridge',
      ipam: { config: [{ subnet: '10.77.0.0/24' }] },
    })

    // host 1: a on ov1 + br, p on br only, x on ov1 + ov2, i1 on ovi; host 2: b on ov1, c on ov2, i2 on ovi
    const a = ipOf((await d1.run('ov1', 'a')).ipv4Address)
    await d1.publish('br', 'a-br')
    const aBr = ipOf((await d1.attach('a', 'br', 'a-br')).ipv4Address)
    const p = ipOf((await d1.run('br', 'p')).ipv4Address)
    const x1 = ipOf((await d1.run('ov1', 'x')).ipv4Address)
    await d1.publish('ov2', 'x-ov2')
    const x2 = ipOf((await d1.attach('x', 'ov2', 'x-ov2')).ipv4Address)
    const i1 = ipOf((await d1.run('ovi', 'i1')).ipv4Address)
    const b = ipOf((await d2.run('ov1', 'b')).ipv4Address)
    const c = ipOf((await d2.run('ov2', 'c')).ipv4Address)
    const i2 = ipOf((await d2.run('ovi', 'i2')).ipv4Address)

    // one container on a bridge network and an overlay at once
    await untilPing(d1, 'a', b)
    await untilPing(d1, 'a', p)
    await untilPing(d2, 'b', a)
    await untilPing(d1, 'p', aBr)
    t.pass('a reaches b over the overlay and p over the bridge')

    // x on both overlays reaches both
    await untilPing(d1, 'x', b)
    await untilPing(d1, 'x', c)
    await untilPing(d2, 'b', x1)
    await untilPing(d2, 'c', x2)
    t.pass('x, on both overlays, reaches b (ov1) and c (ov2)')

    // ov1 and ov2 are isolated: b and c get no answer from each other, and host 2's ov1 has no
    // FDB entry of ov2's containers (nor the other way round)
    t.notOk(await pingOnce(d2, 'b', c), 'b (ov1) gets no answer from c (ov2)')
    t.notOk(await pingOnce(d2, 'c', b), 'c (ov2) gets no answer from b (ov1)')
    t.notOk(await pingOnce(d1, 'a', c), 'a (ov1) gets no answer from c (ov2)')
    const macOf = async (d: typeof d1, ctr: string, ip: string) => {
      const out = await d.inContainer(ctr, ['ip', '-j', 'addr', 'show'])
      const l = (JSON.parse(out) as { address: string; addr_info: { local: string }[] }[]).find(
        (i) => i.addr_info.some((ai) => ai.local === ip),
      )
      return l!.address
    }
    const cMac = await macOf(d2, 'c', c)
    const bMac = await macOf(d2, 'b', b)
    for (const ns of await overlayNamespaces(d1)) {
      const fdb = await sh(['ip', 'netns', 'exec', ns, 'bridge', 'fdb', 'show'])
      const vx = await sh(['ip', '-n', ns, '-d', '-j', 'link', 'show', 'type', 'vxlan'])
      const vni = (JSON.parse(vx) as { linkinfo: { info_data: { id: number } } }[])[0]!.linkinfo
        .info_data.id
      if (vni === 4175) t.notMatch(fdb, cMac, "host 1's ov1 has no entry for c (ov2)")
      if (vni === 4176) t.notMatch(fdb, bMac, "host 1's ov2 has no entry for b (ov1)")
    }

    // the internal overlay connects its containers, with no default route
    await untilPing(d1, 'i1', i2)
    await untilPing(d2, 'i2', i1)
    t.equal(await defaultRoute(d1, 'i1'), '', 'i1 (internal overlay) has no default route')
    t.equal(await defaultRoute(d2, 'i2'), '', 'i2 (internal overlay) has no default route')

    // remove everything
    const gone: Array<[typeof d1, string, string, string]> = [
      [d1, 'a', 'ov1', 'a'],
      [d1, 'a', 'br', 'a-br'],
      [d1, 'p', 'br', 'p'],
      [d1, 'x', 'ov1', 'x'],
      [d1, 'x', 'ov2', 'x-ov2'],
      [d1, 'i1', 'ovi', 'i1'],
      [d2, 'b', 'ov1', 'b'],
      [d2, 'c', 'ov2', 'c'],
      [d2, 'i2', 'ovi', 'i2'],
    ]
    for (const [d, ctr, net, svc] of gone) {
      await d.detach(ctr, net, svc)
      await d.unpublish(net, svc)
    }
    for (const ctr of ['a', 'p', 'x', 'i1']) await d1.deleteContainer(ctr)
    for (const ctr of ['b', 'c', 'i2']) await d2.deleteContainer(ctr)
    await d1.deleteNetwork('br')
    for (const n of ['ov1', 'ov2', 'ovi']) for (const d of w.ds) await d.deleteNetwork(n)
    await until('no overlay namespace', async () => (await overlayNamespaces(d1)).length === 0)
    // the gateway network of the non-internal overlays stays until removed (as upstream's)
    for (const d of w.ds)
      if ((await d.networks()).some((n) => n.name === 'docker_gwbridge'))
        await d.deleteNetwork('docker_gwbridge')
    t.same(await settledLeftovers(w, before), [], 'nothing left on any host or in the stores')
  },
)
