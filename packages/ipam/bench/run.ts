// Benchmarks B5 and B6 (see issue 2) through the public DefaultIpam API, in memory, then the
// store benchmarks of bench/store.ts (I1.concurrent, S3). Writes bench-results/ipam.json. Rates are wall-clock ops/s (median of 5 runs after one
// warm-up run); the `.cpu` variants divide by this process's CPU time instead, which stays
// meaningful when the machine is shared.
import { DefaultIpam } from '../dist/index.js'
import type { IP } from '@libnetwork/types'
import { median, now, rng, rssMiB, writeResults } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'
import { storeBenches } from './store.js'

const RUNS = 5
const results: BenchResult[] = []

function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Times one phase: [wall ops/s, cpu ops/s]. */
async function phase(ops: number, body: () => Promise<void>): Promise<[number, number]> {
  const w0 = now()
  const c0 = cpuMs()
  await body()
  const wall = now() - w0
  const cpu = Math.max(cpuMs() - c0, 0.001)
  return [Math.round((ops / wall) * 1000), Math.round((ops / cpu) * 1000)]
}

type Rates = Record<string, [number, number]>

async function b5(): Promise<Rates> {
  const ipam = new DefaultIpam()
  const { poolId } = await ipam.requestPool({ pool: '10.10.0.0/16' })
  const ips: IP[] = []
  const exhaust = await phase(65_534, async () => {
    for (;;) {
      try {
        ips.push((await ipam.requestAddress(poolId)).ip)
      } catch {
        break
      }
    }
  })
  if (ips.length !== 65_534) throw new Error(`exhausted after ${ips.length}`)
  const next = rng(1)
  const victims = new Set<number>()
  while (victims.size < 10_000) victims.add(Math.floor(next() * ips.length))
  const release = await phase(10_000, async () => {
    for (const i of victims) await ipam.releaseAddress(poolId, ips[i]!)
  })
  const rerequest = await phase(10_000, async () => {
    for (let i = 0; i < 10_000; i++) await ipam.requestAddress(poolId)
  })
  return { 'B5.exhaust': exhaust, 'B5.release': release, 'B5.rerequest': rerequest }
}

async function b6(): Promise<Rates> {
  const ipam = new DefaultIpam()
  const { poolId } = await ipam.requestPool({ pool: 'fd00:1:2:3::/64', v6: true })
  const r = await phase(100_000, async () => {
    for (let i = 0; i < 100_000; i++) await ipam.requestAddress(poolId)
  })
  return { B6: r }
}

async function pools(): Promise<Rates> {
  const ipam = new DefaultIpam()
  const r = await phase(2_000, async () => {
    for (let i = 0; i < 2_000; i++) await ipam.requestPool({ addressSpace: 'global' })
  })
  return { 'ipam.pools': r }
}

const names: Record<string, string> = {
  'ipam.pools': 'request 2,000 predefined pools of the global space (10/8 as /24s)',
  'B5.exhaust': 'request all 65,534 addresses of a /16',
  'B5.release': 'release 10,000 random addresses (seeded) of the full /16',
  'B5.rerequest': 're-request 10,000 addresses of the fragmented /16',
  B6: '100,000 addresses from an IPv6 /64',
}

async function run(bench: () => Promise<Rates>): Promise<void> {
  const all: Rates[] = []
  for (let r = 0; r < RUNS + 1; r++) {
    const res = await bench()
    if (r > 0) all.push(res) // the first run warms the JIT
  }
  for (const id of Object.keys(all[0]!)) {
    const name = names[id]!
    results.push({ id, name, value: median(all.map((x) => x[id]![0])), unit: 'ops/s' })
    results.push({
      id: `${id}.cpu`,
      name: `${name} (per CPU second)`,
      value: median(all.map((x) => x[id]![1])),
      unit: 'ops/s',
    })
  }
}

await run(b5)
results.push({ id: 'B5.rss', name: 'RSS after B5', value: rssMiB(), unit: 'MiB' })
await run(b6)
results.push({ id: 'B6.rss', name: 'RSS after B6', value: rssMiB(), unit: 'MiB' })
await run(pools)
results.push(...(await storeBenches()))
writeResults('ipam', results)
