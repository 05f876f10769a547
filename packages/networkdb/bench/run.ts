// Benchmarks D1-D4 (issue 7): N NetworkDB nodes, one process each, on loopback with gossip's
// default (memberlist LAN) timing. Writes bench-results/networkdb.json.
import { NodeProc, until as untilMs, type Reply } from './node-proc.js'
import { median, writeResults } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'
import { runD5, runD6 } from './large.js'

const RUNS = Number(process.env.NDB_BENCH_RUNS ?? 3)
const SIZES = (process.env.NDB_BENCH_SIZES ?? '3,5,10').split(',').map(Number)
// which groups to run (default all): NDB_BENCH=D1,D5,D6 (D1 runs D1-D4)
const ONLY = (process.env.NDB_BENCH ?? 'D1,D5,D6').split(',')
const clock = (): number => performance.timeOrigin + performance.now()

const until = (f: () => Promise<boolean>, what: string) => untilMs(f, what, 30_000)

const at = (r: Reply): number => r.at as number

interface Run {
  d1: number
  d2: number
  d3: number
  d4: number
  cpu: number
  rss: number
  bytes: number
  bytesMax: number
}

async function runOnce(n: number): Promise<Run> {
  const nodes = Array.from({ length: n }, (_, i) => new NodeProc(`n${i}`))
  try {
    await Promise.all(nodes.map((x) => x.ready))
    const addrs = await Promise.all(nodes.map((x) => x.call('start')))
    const seed = addrs[0]!.address as string
    for (const x of nodes.slice(1)) await x.call('join', { seeds: [seed] })
    await until(
      async () =>
        (await Promise.all(nodes.map((x) => x.call('members')))).every((r) => r.members === n - 1),
      'membership',
    )
    for (const x of nodes) await x.call('joinNetwork', { network: 'net1' })
    await until(
      async () =>
        (await Promise.all(nodes.map((x) => x.call('peers', { network: 'net1' })))).every(
          (r) => r.peers === n,
        ),
      'network peers',
    )
    const writer = nodes[0]!

    // D1: one writer creates 1,000 entries of 100 bytes.
    const before = await Promise.all(nodes.map((x) => x.call('stats')))
    const w1 = nodes.map((x) => x.call('waitCount', { table: 't1', network: 'net1', count: 1000 }))
    const c1 = await writer.call('create', { table: 't1', network: 'net1', n: 1000, size: 100 })
    const d1 = Math.max(...(await Promise.all(w1)).map(at)) - (c1.t0 as number)
    const after = await Promise.all(nodes.map((x) => x.call('stats')))
    const cpu = after.map((a, i) => (a.cpuS as number) - (before[i]!.cpuS as number))
    const bytes = after.map((a, i) => (a.udpBytes as number) - (before[i]!.udpBytes as number))
    const rss = Math.max(...after.map((a) => a.maxRssMiB as number))

    // D2: every node writes 100 at once.
    const w2 = nodes.map((x) =>
      x.call('waitCount', { table: 't2', network: 'net1', count: n * 100 }),
    )
    const t2 = clock()
    await Promise.all(
      nodes.map((x) => x.call('create', { table: 't2', network: 'net1', n: 100, size: 100 })),
    )
    const d2 = Math.max(...(await Promise.all(w2)).map(at)) - t2

    // D3: the writer deletes its 1,000.
    const w3 = nodes.map((x) => x.call('waitCount', { table: 't1', network: 'net1', count: 0 }))
    const c3 = await writer.call('delete', { table: 't1', network: 'net1', n: 1000 })
    const d3 = Math.max(...(await Promise.all(w3)).map(at)) - (c3.t0 as number)

    // D4: SIGKILL the last node: until the others drop it and its 100 entries of t2.
    const victim = nodes[n - 1]!
    const rest = nodes.slice(0, n - 1)
    const t4 = clock()
    const w4 = rest.map((x) =>
      x.call('waitGone', { table: 't2', network: 'net1', count: (n - 1) * 100, node: victim.name }),
    )
    victim.proc.kill('SIGKILL')
    const d4 = Math.max(...(await Promise.all(w4)).map(at)) - t4

    await Promise.all(rest.map((x) => x.call('stop').catch(() => undefined)))
    return {
      d1,
      d2,
      d3,
      d4,
      cpu: cpu.reduce((a, b) => a + b, 0) / n,
      rss,
      bytes: bytes.reduce((a, b) => a + b, 0) / n,
      bytesMax: Math.max(...bytes),
    }
  } finally {
    for (const x of nodes) if (x.proc.exitCode === null) x.proc.kill('SIGKILL')
  }
}

const results: BenchResult[] = []
for (const n of ONLY.includes('D1') ? SIZES : []) {
  const runs: Run[] = []
  for (let i = 0; i < RUNS; i++) {
    runs.push(await runOnce(n))
    console.error(`n=${n} run ${i + 1}:`, JSON.stringify(runs.at(-1)))
  }
  const m = (f: (r: Run) => number): number => Math.round(median(runs.map(f)) * 10) / 10
  results.push(
    {
      id: `D1.n${n}`,
      name: `${n} nodes: one writer creates 1,000 entries, until all have them`,
      value: m((r) => r.d1),
      unit: 'ms',
    },
    {
      id: `D2.n${n}`,
      name: `${n} nodes: each writes 100 at once, until all have ${n * 100}`,
      value: m((r) => r.d2),
      unit: 'ms',
    },
    {
      id: `D3.n${n}`,
      name: `${n} nodes: writer deletes its 1,000, until none sees them`,
      value: m((r) => r.d3),
      unit: 'ms',
    },
    {
      id: `D4.n${n}`,
      name: `${n} nodes: SIGKILL one, until others drop it and its entries`,
      value: m((r) => r.d4),
      unit: 'ms',
    },
  )
  if (n === 10) {
    results.push(
      {
        id: 'D1.n10.cpu',
        name: 'CPU seconds per node during D1 (mean)',
        value: Math.round(median(runs.map((r) => r.cpu)) * 1000) / 1000,
        unit: 's',
      },
      {
        id: 'D1.n10.rss',
        name: 'peak RSS of a node process up to the end of D1 (max)',
        value: m((r) => r.rss),
        unit: 'MiB',
      },
      {
        id: 'D1.n10.bytes',
        name: 'UDP bytes sent per node during D1 (mean over nodes)',
        value: Math.round(median(runs.map((r) => r.bytes))),
        unit: 'bytes',
      },
      {
        id: 'D1.n10.bytes.max',
        name: 'UDP bytes sent by the busiest node (the writer) during D1',
        value: Math.round(median(runs.map((r) => r.bytesMax))),
        unit: 'bytes',
      },
    )
  }
}
if (ONLY.includes('D5')) results.push(...(await runD5()))
if (ONLY.includes('D6')) results.push(...(await runD6()))
writeResults('networkdb', results)
