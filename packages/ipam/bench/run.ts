// Benchmarks B5 and B6 (see issue 2) through the public DefaultIpam API, in memory.
// Writes bench-results/ipam.json.
import { DefaultIpam } from '../dist/index.js'
import type { IP } from '@libnetwork/types'
import { median, now, rng, rssMiB, writeResults } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'

const RUNS = 5
const results: BenchResult[] = []
const rate = (ops: number, ms: number) => Math.round((ops / ms) * 1000)

async function b5(): Promise<{ exhaust: number; release: number; rerequest: number }> {
  const ipam = new DefaultIpam()
  const { poolId } = await ipam.requestPool({ pool: '10.10.0.0/16' })
  const ips: IP[] = []
  let t0 = now()
  for (;;) {
    try {
      ips.push((await ipam.requestAddress(poolId)).ip)
    } catch {
      break
    }
  }
  const exhaust = rate(ips.length, now() - t0)
  if (ips.length !== 65_534) throw new Error(`exhausted after ${ips.length}`)
  const next = rng(1)
  const victims = new Set<number>()
  while (victims.size < 10_000) victims.add(Math.floor(next() * ips.length))
  const order = [...victims]
  t0 = now()
  for (const i of order) await ipam.releaseAddress(poolId, ips[i]!)
  const release = rate(order.length, now() - t0)
  t0 = now()
  for (let i = 0; i < 10_000; i++) await ipam.requestAddress(poolId)
  const rerequest = rate(10_000, now() - t0)
  return { exhaust, release, rerequest }
}

async function b6(): Promise<number> {
  const ipam = new DefaultIpam()
  const { poolId } = await ipam.requestPool({ pool: 'fd00:1:2:3::/64', v6: true })
  const t0 = now()
  for (let i = 0; i < 100_000; i++) await ipam.requestAddress(poolId)
  return rate(100_000, now() - t0)
}

const runs5: Array<Awaited<ReturnType<typeof b5>>> = []
for (let r = 0; r < RUNS + 1; r++) {
  const res = await b5()
  if (r > 0) runs5.push(res) // the first run warms the JIT
}
results.push(
  {
    id: 'B5.exhaust',
    name: 'request all 65,534 addresses of a /16',
    value: median(runs5.map((r) => r.exhaust)),
    unit: 'ops/s',
  },
  {
    id: 'B5.release',
    name: 'release 10,000 random addresses (seeded)',
    value: median(runs5.map((r) => r.release)),
    unit: 'ops/s',
  },
  {
    id: 'B5.rerequest',
    name: 're-request 10,000 addresses',
    value: median(runs5.map((r) => r.rerequest)),
    unit: 'ops/s',
  },
  { id: 'B5.rss', name: 'RSS after B5', value: rssMiB(), unit: 'MiB' },
)
const runs6: number[] = []
for (let r = 0; r < RUNS + 1; r++) {
  const v = await b6()
  if (r > 0) runs6.push(v)
}
results.push(
  { id: 'B6', name: '100,000 addresses from an IPv6 /64', value: median(runs6), unit: 'ops/s' },
  { id: 'B6.rss', name: 'RSS after B6', value: rssMiB(), unit: 'MiB' },
)
writeResults('ipam', results)
