// Benchmarks D5 and D6 (issue 23): a large table, and a late joiner's joinNetwork().
import { NodeProc, until as untilMs, type Reply } from './node-proc.js'
import { median } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'

const until = (f: () => Promise<boolean>, what: string) => untilMs(f, what, 300_000)
const at = (r: Reply): number => r.at as number
const num = (r: Reply, k: string): number => r[k] as number

async function cluster(n: number, prefix: string): Promise<NodeProc[]> {
  const nodes = Array.from({ length: n }, (_, i) => new NodeProc(`${prefix}${i}`))
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
  return nodes
}

const kill = (nodes: NodeProc[]): void => {
  for (const x of nodes) if (x.proc.exitCode === null) x.proc.kill('SIGKILL')
}

/** D5: 5 nodes, one writer creates 20,000 entries of 100 bytes, then deletes them. */
export async function runD5(): Promise<BenchResult[]> {
  const N = 20_000
  // writes between two yields of the writing application (NDB_D5_BATCH to try others)
  const batch = Number(process.env.NDB_D5_BATCH ?? 500)
  const nodes = await cluster(5, 'd5-')
  try {
    const writer = nodes[0]!
    await Promise.all(nodes.map((x) => x.call('monitor')))
    const before = await Promise.all(nodes.map((x) => x.call('stats')))
    const w1 = nodes.map((x) => x.call('waitCount', { table: 't1', network: 'net1', count: N }))
    // the writing application yields to the event loop every `batch` writes
    const c1 = await writer.call('create', { table: 't1', network: 'net1', n: N, size: 100, batch })
    const create = Math.max(...(await Promise.all(w1)).map(at)) - (c1.t0 as number)
    const w2 = nodes.map((x) => x.call('waitCount', { table: 't1', network: 'net1', count: 0 }))
    const c2 = await writer.call('delete', { table: 't1', network: 'net1', n: N, batch })
    const del = Math.max(...(await Promise.all(w2)).map(at)) - (c2.t0 as number)
    const mon = await Promise.all(nodes.map((x) => x.call('monitorStop')))
    const stalls = mon.map((r) => num(r, 'maxMs'))
    const cpuStalls = mon.map((r) => num(r, 'maxCpuMs'))
    const fmt = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(',')
    console.error(
      `stalls ${fmt(stalls)}; ${String(mon[0]!.cpuSource)} CPU between ticks ${fmt(cpuStalls)}; gc ${fmt(mon.map((r) => num(r, 'maxGcMs')))} (${mon.map((r) => String(r.maxGcKind)).join(',')})`,
    )
    if (process.env.NDB_D5_TRACE)
      mon.forEach((r, i) => console.error(`node ${i} long ticks: ${JSON.stringify(r.long)}`))
    const writerCpu = Math.max(num(c1, 'maxBatchCpuMs'), num(c2, 'maxBatchCpuMs'))
    console.error(
      `writer: ${batch} writes per batch, longest batch ${Math.max(num(c1, 'maxBatchMs'), num(c2, 'maxBatchMs')).toFixed(0)} ms (${writerCpu.toFixed(0)} ms CPU)`,
    )
    const stall = Math.max(...stalls)
    const cpuStall = Math.max(...cpuStalls)
    const after = await Promise.all(nodes.map((x) => x.call('stats')))
    const bulk = after.map((a, i) => num(a, 'bulkBytes') - num(before[i]!, 'bulkBytes'))
    const deaths = after.reduce((s, a) => s + num(a, 'falseDeaths'), 0)
    console.error(
      `D5: create ${create.toFixed(0)} ms, delete ${del.toFixed(0)} ms, stall ${stall.toFixed(1)} ms, bulk bytes ${bulk.join(',')}, false deaths ${deaths}`,
    )
    await Promise.all(nodes.map((x) => x.call('stop').catch(() => undefined)))
    return [
      {
        id: 'D5.n5.create',
        name: '5 nodes: one writer creates 20,000 entries, until every node has them',
        value: Math.round(create),
        unit: 'ms',
      },
      {
        id: 'D5.n5.delete',
        name: '5 nodes: the writer deletes its 20,000, until no node has them',
        value: Math.round(del),
        unit: 'ms',
      },
      {
        id: 'D5.n5.stall',
        name: 'longest event-loop delay on any node during D5',
        value: Math.round(stall * 10) / 10,
        unit: 'ms',
      },
      {
        id: 'D5.n5.stallCpu',
        name: "most CPU time a node's main thread used between two 5 ms timer ticks during D5 (load-independent)",
        value: Math.round(cpuStall * 10) / 10,
        unit: 'ms',
      },
      {
        id: 'D5.n5.writerBatchCpu',
        name: "CPU time of the writer's longest batch of writes between two yields (its own share of a stall)",
        value: Math.round(writerCpu * 10) / 10,
        unit: 'ms',
      },
      {
        id: 'D5.n5.bulkBytes',
        name: 'bulk-sync bytes sent per node during D5 (mean)',
        value: Math.round(bulk.reduce((a, b) => a + b, 0) / bulk.length),
        unit: 'bytes',
      },
      {
        id: 'D5.n5.falseDeaths',
        name: 'nodes declared dead during D5 (none was killed)',
        value: deaths,
        unit: 'count',
      },
    ]
  } finally {
    kill(nodes)
  }
}

/** D6: a new node joins the cluster and then the network of a 1,000-entry table; 20 tries. */
export async function runD6(tries = 20): Promise<BenchResult[]> {
  const nodes = await cluster(3, 'd6-')
  try {
    await nodes[0]!.call('create', { table: 't1', network: 'net1', n: 1000, size: 100 })
    await until(
      async () =>
        (
          await Promise.all(nodes.map((x) => x.call('count', { table: 't1', network: 'net1' })))
        ).every((r) => r.count === 1000),
      'table everywhere',
    )
    const seed = (await nodes[0]!.call('address')).address as string
    const times: number[] = []
    for (let i = 0; i < tries; i++) {
      const late = new NodeProc(`d6-late${i}`)
      try {
        await late.ready
        await late.call('start')
        await late.call('join', { seeds: [seed] })
        const r = await late.call('joinNetwork', { network: 'net1' })
        if (r.count !== 1000)
          throw new Error(`joinNetwork resolved with ${String(r.count)} entries`)
        times.push(num(r, 'ms'))
        await late.call('stop').catch(() => undefined)
      } finally {
        kill([late])
      }
    }
    console.error(`D6: ${times.map((t) => t.toFixed(0)).join(' ')}`)
    return [
      {
        id: 'D6.join',
        name: "late joiner's joinNetwork() until it resolves with a 1,000-entry table (median of 20)",
        value: Math.round(median(times) * 10) / 10,
        unit: 'ms',
      },
    ]
  } finally {
    kill(nodes)
  }
}
