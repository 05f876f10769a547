// Benchmarks G1/G2 (issue 6): gossip nodes, one per process (bench/node-proc.mjs against
// ../dist), on loopback with default (memberlist LAN) timings. Writes bench-results/gossip.json.
//   G1.nN   ms from the join command (all N-1 nodes join one seed at once) until every
//           process has reported full membership (median of RUNS for N=10, one run for 25/50)
//   G1.n10.rss  MiB RSS per node process at steady state (mean)
//   G1.n10.bps  bytes/s sent per node at steady state (mean over a 20 s window)
//   G1.n10.cpu  CPU seconds per node per minute at steady state (mean)
//   G2.n10  ms from SIGKILL of one node until every other node has marked it dead (median of
//           G2_RUNS fresh clusters; .min/.max the spread, .first the first node to mark it)
//           Both ends use this machine's wall clock: the bench reads Date.now() right before
//           the SIGKILL, each node stamps its own leave event with Date.now() when it fires.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { median, writeResults } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'

const SIZES = (process.env.GOSSIP_BENCH_SIZES ?? '10,25,50').split(',').map(Number)
const RUNS = Number(process.env.GOSSIP_BENCH_RUNS ?? 3)
// G2 varies run to run by protocol design (when the first probe of the dead node happens), so
// it takes more samples than G1; each sample is a fresh N=10 cluster (its G1 run too)
const G2_RUNS = Number(process.env.GOSSIP_BENCH_G2_RUNS ?? 11)
const LOCAL_RUNS = Number(process.env.GOSSIP_BENCH_LOCAL_RUNS ?? 5)
const WINDOW = Number(process.env.GOSSIP_BENCH_WINDOW_MS ?? 20_000)
const SCRIPT = fileURLToPath(new URL('./node-proc.mjs', import.meta.url))

interface Line {
  t: number
  [k: string]: unknown
}

class Proc {
  readonly lines: Line[] = []
  readonly child: ChildProcess
  constructor(name: string, expect: number, config?: Record<string, unknown>) {
    this.child = spawn(
      process.execPath,
      [
        SCRIPT,
        JSON.stringify({
          name,
          expect,
          config:
            config ??
            (process.env.GOSSIP_BENCH_CONFIG
              ? (JSON.parse(process.env.GOSSIP_BENCH_CONFIG) as Record<string, unknown>)
              : undefined),
        }),
      ],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    )
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Line)
      } catch {
        // not ours
      }
    })
  }
  send(cmd: string): void {
    this.child.stdin!.write(cmd + '\n')
  }
  async wait(pred: (l: Line) => boolean, ms = 60_000): Promise<Line> {
    const end = Date.now() + ms
    for (;;) {
      const l = this.lines.find(pred)
      if (l) return l
      if (Date.now() > end) throw new Error('timed out waiting for a node')
      await sleep(10)
    }
  }
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL')
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))
const mean = (v: number[]): number => v.reduce((a, b) => a + b, 0) / v.length

async function cluster(
  n: number,
  config?: Record<string, unknown>,
): Promise<{ procs: Proc[]; convergeMs: number }> {
  const procs = Array.from({ length: n }, (_, i) => new Proc(`bench-${n}-${i}`, n, config))
  const ready = await Promise.all(procs.map((p) => p.wait((l) => 'ready' in l)))
  await sleep(500) // let process start-up CPU settle
  const seed = `127.0.0.1:${String(ready[0]!.ready)}`
  const t0 = Date.now()
  procs[0]!.send('go')
  for (const p of procs.slice(1)) p.send(`join ${seed}`)
  const full = await Promise.all(procs.map((p) => p.wait((l) => 'full' in l)))
  if (process.env.GOSSIP_BENCH_DEBUG) {
    const j = await Promise.all(procs.slice(1).map((p) => p.wait((l) => 'joined' in l)))
    console.error(
      'join',
      j.map((l) => `${l.t - t0}/${String(l.joined)}/${String(l.members)}`).join(' '),
    )
  }
  if (process.env.GOSSIP_BENCH_DEBUG)
    console.error(
      full
        .map((l) => l.t - t0)
        .sort((a, b) => a - b)
        .join(' '),
    )
  if (process.env.GOSSIP_BENCH_DEBUG) console.error('cpu', full.map((l) => String(l.cpu)).join(' '))
  return { procs, convergeMs: Math.max(...full.map((l) => l.t)) - t0 }
}

/** The same join storm with all N nodes in this one process (real UDP/TCP on loopback). */
async function inProcess(n: number): Promise<{ ms: number; rssPerNode: number }> {
  const { Gossip } = await import('../dist/index.js')
  const { IP } = await import('@libnetwork/types')
  global.gc?.()
  const rss0 = process.memoryUsage().rss
  const nodes: InstanceType<typeof Gossip>[] = []
  for (let i = 0; i < n; i++) {
    const g = new Gossip({ name: `inproc-${n}-${i}`, bindAddr: IP.parse('127.0.0.1'), bindPort: 0 })
    await g.start()
    nodes.push(g)
  }
  const t0 = Date.now()
  await Promise.all(nodes.slice(1).map((g) => g.join([nodes[0]!.address])))
  while (!nodes.every((g) => g.numMembers() === n)) {
    if (Date.now() - t0 > 60_000) throw new Error('in-process storm did not converge')
    await sleep(2)
  }
  const ms = Date.now() - t0
  await sleep(3000)
  const rssPerNode = (process.memoryUsage().rss - rss0) / n / 1048576
  await Promise.all(nodes.map((g) => g.stop()))
  return { ms, rssPerNode }
}

/**
 * G2: SIGKILLs the last node and waits until every other one marks it dead. Returns ms from
 * the kill until all / the first of them marked it dead, and until the first suspected it.
 */
async function killOne(procs: Proc[]): Promise<{ all: number; first: number; suspect: number }> {
  const victimName = `bench-${procs.length}-${procs.length - 1}`
  const others = procs.slice(0, -1)
  for (const p of others) p.send(`watch ${victimName}`)
  await sleep(100)
  const health = others.map((p) => p.lines.findLast((l) => l.watch === victimName)?.health)
  if (process.env.GOSSIP_BENCH_DEBUG) console.error('health scores at the kill:', health.join(' '))
  const tk = Date.now()
  procs[procs.length - 1]!.kill()
  const dead = await Promise.all(
    others.map((p) => p.wait((l) => l.event === 'leave' && l.node === victimName && l.t >= tk)),
  )
  const suspected = others.flatMap((p) =>
    p.lines.filter((l) => l.suspect === victimName && l.t >= tk),
  )
  return {
    all: Math.max(...dead.map((l) => l.t)) - tk,
    first: Math.min(...dead.map((l) => l.t)) - tk,
    suspect: Math.min(...suspected.map((l) => l.t)) - tk,
  }
}

/** memberlist's DefaultLocalConfig (its documented profile for loopback/local networks). */
const LOCAL_PROFILE = {
  tcpTimeout: 1000,
  indirectChecks: 1,
  retransmitMult: 2,
  suspicionMult: 3,
  pushPullInterval: 15_000,
  probeTimeout: 200,
  probeInterval: 1000,
  gossipInterval: 100,
  gossipToTheDeadTime: 15_000,
}

/** G2 with memberlist's local profile, reported alongside (never instead of) G2.n10. */
async function g2Local(runs: number): Promise<BenchResult[]> {
  const deaths: number[] = []
  for (let r = 0; r < runs; r++) {
    const { procs } = await cluster(10, LOCAL_PROFILE)
    await sleep(2000)
    deaths.push((await killOne(procs)).all)
    for (const p of procs) p.kill()
    await sleep(1000)
  }
  console.error(`G2 local profile runs: ${deaths.join(', ')} ms`)
  return [
    {
      id: 'G2.n10.local',
      name: `G2.n10 with memberlist's DefaultLocalConfig (probe 1 s / 200 ms, suspicion mult 3, median of ${runs})`,
      value: median(deaths),
      unit: 'ms',
    },
  ]
}

async function main(): Promise<void> {
  const results: BenchResult[] = []
  for (const n of SIZES) {
    const runs = n === 10 ? Math.max(RUNS, G2_RUNS) : 1
    const times: number[] = []
    const deaths: number[] = []
    const firsts: number[] = []
    const suspects: number[] = []
    for (let r = 0; r < runs; r++) {
      const { procs, convergeMs } = await cluster(n)
      times.push(convergeMs)
      if (n === 10 && r === runs - 1) {
        await sleep(5000)
        for (const p of procs) p.send('mark')
        await Promise.all(procs.map((p) => p.wait((l) => 'marked' in l)))
        await sleep(WINDOW)
        for (const p of procs) p.send('stats')
        const stats = (await Promise.all(procs.map((p) => p.wait((l) => 'stats' in l)))).map(
          (l) => l.stats as { rss: number; cpuMicros: number; sent: number; ms: number },
        )
        results.push(
          {
            id: 'G1.n10.rss',
            name: 'RSS per node process at steady state (N=10, mean)',
            value: mean(stats.map((s) => s.rss / 1048576)),
            unit: 'MiB',
          },
          {
            id: 'G1.n10.bps',
            name: 'bytes sent per second per node at steady state (N=10, mean)',
            value: mean(stats.map((s) => (s.sent * 1000) / s.ms)),
            unit: 'B/s',
          },
          {
            id: 'G1.n10.cpu',
            name: 'CPU seconds per node per minute at steady state (N=10, mean)',
            value: mean(stats.map((s) => (s.cpuMicros / 1e6) * (60_000 / s.ms))),
            unit: 'cpu-s/min',
          },
        )
      }
      if (n === 10) {
        await sleep(2000)
        const k = await killOne(procs)
        deaths.push(k.all)
        firsts.push(k.first)
        suspects.push(k.suspect)
      }
      for (const p of procs) p.kill()
      await sleep(1000)
    }
    results.push({
      id: `G1.n${n}`,
      name: `join storm to full membership, ${n} nodes one per process${runs > 1 ? ` (median of ${runs})` : ''}`,
      value: median(times),
      unit: 'ms',
    })
    console.error(`N=${n}: ${times.join(', ')} ms`)
    if (deaths.length > 0) {
      results.push(
        {
          id: 'G2.n10',
          name: `SIGKILL of one node until all 9 others mark it dead, default timings (median of ${deaths.length})`,
          value: median(deaths),
          unit: 'ms',
        },
        {
          id: 'G2.n10.min',
          name: `G2.n10, fastest of ${deaths.length} runs`,
          value: Math.min(...deaths),
          unit: 'ms',
        },
        {
          id: 'G2.n10.max',
          name: `G2.n10, slowest of ${deaths.length} runs`,
          value: Math.max(...deaths),
          unit: 'ms',
        },
        {
          id: 'G2.n10.first',
          name: `SIGKILL until the first node marks it dead (median of ${firsts.length})`,
          value: median(firsts),
          unit: 'ms',
        },
      )
      results.push({
        id: 'G2.n10.suspect',
        name: `SIGKILL until the first node suspects it (failed probe; median of ${suspects.length})`,
        value: median(suspects),
        unit: 'ms',
      })
      console.error(`G2 runs: ${deaths.join(', ')} ms`)
      console.error(`  first dead: ${firsts.join(', ')}; first suspect: ${suspects.join(', ')}`)
    }
  }
  if (SIZES.includes(10) && LOCAL_RUNS > 0) results.push(...(await g2Local(LOCAL_RUNS)))
  for (const n of SIZES) {
    const r = await inProcess(n)
    results.push({
      id: `G1.n${n}.inproc`,
      name: `join storm to full membership, ${n} nodes in one process (sockets on loopback)`,
      value: r.ms,
      unit: 'ms',
    })
    if (n === Math.max(...SIZES)) {
      results.push({
        id: `G1.n${n}.inproc.rss`,
        name: `RSS added per node, ${n} nodes in one process`,
        value: r.rssPerNode,
        unit: 'MiB',
      })
    }
    await sleep(1000)
  }
  results.sort((a, b) => a.id.localeCompare(b.id))
  writeResults('gossip', results)
}

await main()
