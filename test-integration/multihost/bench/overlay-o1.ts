// O1.tput / O1.underlay / O1.ratio: iperf3 TCP throughput from a container on host A to one on
// host B over one overlay network (VXLAN), and between the two host namespaces over the
// underlay directly, alternating in the same run (median of ROUNDS each). On the overlay driver
// itself (in this process, peers through in-memory tables): the data path is the kernel's.
import { median } from '../../../tools/bench.mjs'
import { Underlay, type Teardown } from '../test/harness.js'
import {
  attachNs,
  containerNs,
  overlayDrivers,
  overlayNetwork,
} from '../test/overlay-driver-hosts.js'
import { iperf } from './overlay-iperf.js'
import type { Result } from './overlay.js'

const ROUNDS = Number(process.env.O1_ROUNDS ?? 3)
const SECONDS = Number(process.env.O1_SECONDS ?? 3)

export async function o1(td: Teardown): Promise<Result[]> {
  const u = await Underlay.create(td, { hosts: 2 })
  const [a, b] = overlayDrivers(td, u) as [
    ReturnType<typeof overlayDrivers>[0],
    ReturnType<typeof overlayDrivers>[0],
  ]
  const net = overlayNetwork(1, 5001)
  for (const d of [a, b]) await d.driver.createNetwork(net)
  const ca = await containerNs(a.host, 'a')
  const cb = await containerNs(b.host, 'b')
  await attachNs(a.driver, net, 'a'.repeat(64), '10.81.0.2/24', ca)
  await attachNs(b.driver, net, 'b'.repeat(64), '10.81.0.3/24', cb)
  const over: number[] = []
  const under: number[] = []
  for (let i = 0; i < ROUNDS; i++) {
    over.push(await iperf(u, cb, '10.81.0.3', ca, SECONDS))
    under.push(await iperf(u, b.host.ns, b.host.ip, a.host.ns, SECONDS))
  }
  const f = (xs: number[]) => xs.map((v) => v.toFixed(2)).join(', ')
  const tput = median(over)
  const ul = median(under)
  return [
    {
      id: 'O1.tput',
      name: `iperf3 TCP container A -> container B over the overlay, ${SECONDS} s, median of ${ROUNDS} (${f(over)})`,
      value: tput,
      unit: 'Gbit/s',
    },
    {
      id: 'O1.underlay',
      name: `iperf3 TCP host A -> host B over the underlay, same run, ${SECONDS} s, median of ${ROUNDS} (${f(under)})`,
      value: ul,
      unit: 'Gbit/s',
    },
    {
      id: 'O1.ratio',
      name: 'O1.tput / O1.underlay (target >= 0.6)',
      value: tput / ul,
      unit: 'ratio',
    },
  ]
}
