// O2: an attach on host A until a container on host B opens a TCP connection to it by name
// (the embedded DNS answers the name, then the connection is accepted over the overlay); three
// dnet hosts, median of ROUNDS (ms). Target <= 500 ms.
//
// The main figure is O2.fromRequest, counted from the attach request sent. Issue 17 counts
// from the REST answer (O2 here), but that answer comes late: the join sends the name out
// (discovery) and the overlay peer record (the driver's join) first, then still writes the
// endpoint and sandbox records to the store and gives the container its second interface on
// the gateway bridge (syncGateway: veth, default route, NAT) before it answers. Host B needs
// neither of those last steps to connect over the overlay, so it usually connects before the
// answer arrives and O2 from the answer comes out negative (session 5: median -29.5 ms). It is
// still reported, with O2.answer (request to answer): O2.fromRequest = O2.answer + O2.
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { median, percentile } from '../../../tools/bench.mjs'
import { sh, until, type Teardown } from '../test/harness.js'
import { createOverlay, overlayWorld, type Mode } from '../test/overlay-dnet.js'
import type { Result } from './overlay.js'

const ROUNDS = Number(process.env.O2_ROUNDS ?? 20)
const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'overlay-connect-probe.mjs')
const LISTEN = `require('net').createServer((s) => s.end()).listen(7000)`

export async function o2(td: Teardown, mode: Mode): Promise<Result[]> {
  const w = await overlayWorld(td, mode, 3, { logLevel: 'warn' })
  const [a, b] = w.ds as [(typeof w.ds)[0], (typeof w.ds)[0]]
  await createOverlay(w, { name: 'ov', subnet: '10.62.0.0/24', vni: 4162 })
  await b.run('ov', 'b')
  const prober = w.u.spawnIn(
    b.host.ns,
    ['nsenter', `--net=${await b.netns('b')}`, '--', process.execPath, PROBE],
    {
      lifetimeS: 600,
    },
  )
  const samples: number[] = [] // from the REST answer (may be negative, see the top)
  const fromRequest: number[] = []
  const answer: number[] = []
  for (let k = 0; k < ROUNDS; k++) {
    const name = `t${k}`
    await a.createContainer(name)
    await a.publish('ov', name)
    const key = await a.netns(name)
    const listener = w.u.spawnIn(
      a.host.ns,
      ['nsenter', `--net=${key}`, '--', process.execPath, '-e', LISTEN],
      {
        lifetimeS: 120,
      },
    )
    await until(`listener in ${name}`, async () =>
      (await sh(['nsenter', `--net=${key}`, '--', 'ss', '-Hltn', 'sport', '= :7000'])).includes(
        ':7000',
      ),
    )
    const seen = prober.lines.length
    prober.send(JSON.stringify({ id: k, name, port: 7000 }))
    const tReq = process.hrtime.bigint()
    await a.attach(name, 'ov', name)
    const t0 = process.hrtime.bigint()
    const idOf = (l: string) => (JSON.parse(l) as { id: number; t: string }).id
    const hitLine = await prober.waitLine(
      (l) => prober.lines.indexOf(l) >= seen && idOf(l) === k,
      60_000,
    )
    const hit = JSON.parse(hitLine) as { t: string }
    samples.push(Number(BigInt(hit.t) - t0) / 1e6)
    fromRequest.push(Number(BigInt(hit.t) - tReq) / 1e6)
    answer.push(Number(t0 - tReq) / 1e6)
    await listener.kill()
    await a.detach(name, 'ov', name)
    await a.unpublish('ov', name)
    await a.deleteContainer(name)
  }
  prober.child.stdin?.end()
  await prober.exited
  return [
    {
      id: 'O2.fromRequest',
      name: `attach request on host A -> container on host B connects to it by name, 3 hosts, ${mode}, median of ${ROUNDS} (target <= 500)`,
      value: median(fromRequest),
      unit: 'ms',
    },
    {
      id: 'O2.fromRequest.p90',
      name: 'the same, 90th percentile',
      value: percentile(fromRequest, 90),
      unit: 'ms',
    },
    {
      id: 'O2',
      name: `the same from the attach's REST answer (negative: connected before the answer arrived), median of ${ROUNDS}`,
      value: median(samples),
      unit: 'ms',
    },
    { id: 'O2.p90', name: 'the same, 90th percentile', value: percentile(samples, 90), unit: 'ms' },
    {
      id: 'O2.answer',
      name: `attach request -> its REST answer on host A, median of ${ROUNDS}`,
      value: median(answer),
      unit: 'ms',
    },
  ]
}
