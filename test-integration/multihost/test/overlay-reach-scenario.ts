// Upstream's overlay scenario across three dnet hosts (run by overlay-reach*.test.ts, one file
// per mode): one overlay network, a container on each host, each reaches every other by name
// (the embedded DNS) and by address over the underlay only; a container disconnected is
// unreachable and its name gone, reconnected it is back; removing everything (the gateway
// network included) leaves nothing on any host or in any store.
import type { Test } from 'tap'
import type { Daemon } from './daemons.js'
import {
  createOverlay,
  ipOf,
  settledLeftovers,
  overlayWorld,
  pingOnce,
  removeGateways,
  removeOverlay,
  snap,
  untilReachByName,
  type Mode,
} from './overlay-dnet.js'
import { until } from './harness.js'

export async function reachScenario(t: Test, mode: Mode): Promise<void> {
  const w = await overlayWorld(t, mode)
  const before = await snap(w)
  await createOverlay(w, { name: 'ov', subnet: '10.70.0.0/24', vni: 4170 })
  const names = w.ds.map((_, i) => `c${i + 1}`)
  const ips: string[] = []
  for (const [i, d] of w.ds.entries()) ips.push(ipOf((await d.run('ov', names[i]!)).ipv4Address))
  t.equal(new Set(ips).size, 3, `three distinct addresses: ${ips.join(' ')}`)

  const allPairs = async (what: string) => {
    for (const [i, d] of w.ds.entries())
      for (const [j, ip] of ips.entries())
        if (i !== j) await untilReachByName(d, names[i]!, names[j]!, ip)
    t.pass(what)
  }
  await allPairs('every container resolves and pings every other')

  // the packets went over the underlay: a container's only route to the others is the overlay
  const route = await w.ds[0]!.inContainer('c1', ['ip', 'route', 'get', ips[1]!])
  t.notMatch(route, / via /, `c1 reaches ${ips[1]} on its own link (the overlay), not routed`)

  // disconnect c2: gone by name and address from the others
  const d2 = w.ds[1] as Daemon
  await d2.detach('c2', 'ov', 'c2')
  for (const i of [0, 2]) {
    const d = w.ds[i]!
    await d.untilResolves(names[i]!, 'c2', [])
    await until(`${names[i]} loses c2`, async () => !(await pingOnce(d, names[i]!, ips[1]!)))
  }
  t.pass('c2 disconnected: no name, no answer')
  const after = await d2.attach('c2', 'ov', 'c2')
  ips[1] = ipOf(after.ipv4Address)
  await allPairs('c2 reconnected: every pair reaches again')

  for (const [i, d] of w.ds.entries()) {
    await d.detach(names[i]!, 'ov', names[i]!)
    await d.unpublish('ov', names[i]!)
    await d.deleteContainer(names[i]!)
  }
  await removeOverlay(w, 'ov')
  await removeGateways(w)
  t.same(await settledLeftovers(w, before), [], 'nothing left on any host or in the stores')
}
