// The controller with the macvlan driver, end to end on the real kernel (as root): options as
// the edge gives them, containers on the LAN next to the router, typed refusals that leave no
// record, a restart on the same store, and nothing left on the parent at the end.
import t from 'tap'
import { memoryStore } from '@libnetwork/datastore'
import { IP, IPNet, LibnetworkError } from '@libnetwork/types'
import { ROUTER, childMacs, lanEnv, pings, startController, tcpFrom } from './helpers.js'

const lan = (subnet = '192.168.77.0/24', gateway: string | null = ROUTER) => ({
  config: [{ subnet: IPNet.parse(subnet), ...(gateway ? { gateway: IP.parse(gateway) } : {}) }],
})

t.test(
  'containers on a macvlan network reach each other and the router; restart; clean up',
  async (t) => {
    const env = await lanEnv(t)
    const store = memoryStore()
    const c1 = await startController(env, store)
    const net = await c1.createNetwork({
      name: 'lan',
      driver: 'macvlan',
      ipam: lan(),
      options: { parent: 'lan0', macvlan_mode: 'bridge' },
    })
    t.equal(net.scope, 'local', 'a local-scope network')
    const attach = async (c: typeof c1, name: string) => {
      const ep = await c.createEndpoint(net.id, { name })
      const sb = await c.createSandbox({ containerId: name })
      await c.join(ep.id, sb.id)
      return { ep: c.endpoint(ep.id), sb }
    }
    const a = await attach(c1, 'a')
    const b = await attach(c1, 'b')
    const ipA = a.ep.address!.ip.toString()
    const ipB = b.ep.address!.ip.toString()
    t.ok(await pings(a.sb.key!, ROUTER), 'a pings the router')
    t.ok(await pings(a.sb.key!, ipB), 'a pings b')
    t.ok(await pings(b.sb.key!, ipA), 'b pings a')
    t.equal(await tcpFrom(b.sb.key!), `router ${ipB}`, 'b talks TCP to the router')
    t.match(await c1.endpointOperInfo(a.ep.id), { parent: 'lan0', mode: 'bridge', joined: true })

    // bad input through the controller: typed errors, no record, the pool free again
    const before = c1
      .networks()
      .map((n) => n.name)
      .sort()
    for (const [options, code] of [
      [{ parent: 'lan0.10' }, /macvlan-(kernel-unsupported)/],
      [{ parent: 'nope0' }, /macvlan-parent-not-found/],
      [{ parent: 'lan0', macvlan_mode: 'bogus' }, /driver-invalid-option/],
      [{}, /macvlan-kernel-unsupported/],
    ] as const) {
      const err = await c1
        .createNetwork({
          name: 'bad',
          driver: 'macvlan',
          ipam: lan('10.20.0.0/24', null),
          options,
        })
        .catch((e: unknown) => e)
      t.ok(LibnetworkError.isInstance(err), `${JSON.stringify(options)}: a typed error`)
      t.match(
        (err as LibnetworkError).code,
        code,
        `${JSON.stringify(options)}: ${(err as Error).message}`,
      )
    }
    const overlap = await c1
      .createNetwork({
        name: 'bad',
        driver: 'macvlan',
        ipam: lan('192.168.77.0/25', null),
        options: { parent: 'lan0' },
      })
      .catch((e: unknown) => e)
    t.match(
      overlap,
      { category: 'conflict' },
      'an overlapping subnet on the same parent is refused',
    )
    t.same(
      c1
        .networks()
        .map((n) => n.name)
        .sort(),
      before,
      'no network recorded',
    )
    const ok = await c1.createNetwork({
      name: 'ok',
      driver: 'macvlan',
      ipam: lan('10.20.0.0/24', null),
      options: { parent: 'lan0' },
    })
    await c1.deleteNetwork(ok.id)

    // restart on the same store: the network stays usable
    await c1.stop()
    const c2 = await startController(env, store)
    t.same(c2.restoreSummary.repaired, [], 'nothing to repair')
    const c = await attach(c2, 'c')
    t.ok(await pings(c.sb.key!, ipA), 'a container joined after the restart reaches an old one')
    t.equal(await tcpFrom(a.sb.key!), `router ${ipA}`, 'the old one still reaches the router')

    // everything away: no child left on the parent
    for (const x of [a, b, c]) {
      await c2.leave(x.ep.id, x.sb.id)
      await c2.deleteEndpoint(x.ep.id)
      await c2.deleteSandbox(x.sb.id)
    }
    await c2.deleteNetwork(net.id)
    await c2.settled()
    t.same(await childMacs(env), [], 'no child left on lan0')
  },
)
