// Benchmarks B1-B4 (see issue 2) against the built package. Writes bench-results/bitseq.json.
import { Bitmap } from '../dist/index.js'
import { median, now, rng, rssMiB, writeResults } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const RUNS = 5
const results: BenchResult[] = []

function opsPerSec(ops: number, ms: number): number {
  return Math.round((ops / ms) * 1000)
}

function cpuMs(): number {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Median ops/s per CPU second of the last measure() call (meaningful on a shared machine). */
let lastCpuRate = 0

/** Run `body` RUNS times on fresh state from `setup`; the median wall-clock rate in ops/s. */
function measure<S>(setup: () => S, ops: number, body: (s: S) => void): number {
  const rates: number[] = []
  const cpuRates: number[] = []
  for (let r = 0; r < RUNS + 1; r++) {
    const s = setup()
    const t0 = now()
    const c0 = cpuMs()
    body(s)
    const ms = now() - t0
    const cpu = Math.max(cpuMs() - c0, 0.001)
    if (r > 0) {
      // the first run warms the JIT
      rates.push(opsPerSec(ops, ms))
      cpuRates.push(opsPerSec(ops, cpu))
    }
  }
  lastCpuRate = median(cpuRates)
  return median(rates)
}

/** Push a wall-clock result and its per-CPU-second twin. */
function record(id: string, name: string, value: number): void {
  results.push({ id, name, value, unit: 'ops/s' })
  results.push({
    id: `${id}.cpu`,
    name: `${name} (per CPU second)`,
    value: lastCpuRate,
    unit: 'ops/s',
  })
}

const N = 65_536

for (const serial of [false, true]) {
  const id = serial ? 'B1.serial' : 'B1.any'
  const value = measure(
    () => new Bitmap(N),
    N,
    (bm) => {
      for (let i = 0; i < N; i++) bm.setAny(serial)
      if (bm.unselected() !== 0) throw new Error('not full')
    },
  )
  record(id, `setAny(${serial}) every bit of a 65,536-bit bitmap`, value)
}

{
  const M = 1_000_000
  const value = measure(
    () => new Bitmap(1 << 24),
    M,
    (bm) => {
      for (let i = 0; i < M; i++) bm.setAny(false)
    },
  )
  record('B2', 'first 1,000,000 setAny on a 2^24-bit bitmap', value)
}

function full(): Bitmap {
  const bm = new Bitmap(N)
  for (let i = 0; i < N; i++) bm.setAny(false)
  return bm
}

{
  const unset = measure(full, N / 2, (bm) => {
    for (let i = 0; i < N; i += 2) bm.unset(i)
  })
  record('B3.unset', 'unset every even bit of a full 65,536-bit bitmap', unset)
  const realloc = measure(
    () => {
      const bm = full()
      for (let i = 0; i < N; i += 2) bm.unset(i)
      return bm
    },
    10_000,
    (bm) => {
      for (let i = 0; i < 10_000; i++) bm.setAny(false)
    },
  )
  record('B3.realloc', 'then 10,000 setAny', realloc)
}

{
  const T = 100_000
  let maxRuns = 0
  let bytes = 0
  const value = measure(
    () => ({ bm: new Bitmap(N), shadow: new Uint8Array(N), next: rng(42) }),
    T,
    ({ bm, shadow, next }) => {
      for (let k = 0; k < T; k++) {
        const i = Math.floor(next() * N)
        if (shadow[i]) {
          bm.unset(i)
          shadow[i] = 0
        } else {
          bm.set(i)
          shadow[i] = 1
        }
      }
      for (let i = 0; i < N; i++) {
        if (bm.isSet(i) !== (shadow[i] === 1)) throw new Error(`bit ${i} differs from the shadow`)
      }
      maxRuns = Math.max(maxRuns, bm.runCount)
      bytes = bm.toBytes().length
    },
  )
  record('B4', '100,000 seeded random toggles on 65,536 bits, then verify', value)
  results.push({ id: 'B4.runs', name: 'runs after B4', value: maxRuns, unit: 'runs' })
  results.push({ id: 'B4.bytes', name: 'serialised size after B4', value: bytes, unit: 'bytes' })
}

{
  // Memory: 1,000 bitmaps of 2^24 bits, each with 1,000 bits set at random.
  gc()
  const used = (): number => {
    const m = process.memoryUsage()
    return m.heapUsed + m.arrayBuffers
  }
  const before = used()
  const next = rng(7)
  const keep: Bitmap[] = []
  for (let k = 0; k < 1000; k++) {
    const bm = new Bitmap(1 << 24)
    for (let i = 0; i < 1000; i++) {
      const b = Math.floor(next() * (1 << 24))
      if (!bm.isSet(b)) bm.set(b)
    }
    keep.push(bm)
  }
  gc()
  const perMap = (used() - before) / keep.length
  results.push({
    id: 'B4.mem',
    name: 'heap per 2^24-bit bitmap with 1,000 random bits set',
    value: Math.round(perMap),
    unit: 'bytes',
  })
}

results.push({
  id: 'B4.rss',
  name: 'RSS of the bitseq benchmark process after B1-B4',
  value: rssMiB(),
  unit: 'MiB',
})
writeResults('bitseq', results)
