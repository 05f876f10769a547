// Helpers for package benchmarks: timing, seeded randomness, and writing
// bench-results/<package>.json at the repo root as [{ id, name, value, unit }].
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

/** Run `fn` `runs` times and return the median of what it returns (or of its duration in ms). */
export function median(values) {
  const s = [...values].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

export function percentile(values, p) {
  const s = [...values].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]
}

/** Milliseconds since an arbitrary point, high resolution. */
export function now() {
  return Number(process.hrtime.bigint()) / 1e6
}

/** Resident set size of this process in MiB. */
export function rssMiB() {
  return Math.round((process.memoryUsage().rss / 1048576) * 10) / 10
}

/** A small seeded PRNG (mulberry32), for repeatable workloads. */
export function rng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Write results for one package and print them as a table. */
export function writeResults(pkg, results) {
  const dir = join(root, 'bench-results')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, `${pkg}.json`)
  writeFileSync(file, JSON.stringify(results, null, 2) + '\n')
  for (const r of results) {
    const v = Number.isInteger(r.value) ? r.value : Number(r.value.toPrecision(4))
    console.log(`${r.id.padEnd(20)} ${String(v).padStart(14)} ${r.unit.padEnd(8)} ${r.name}`)
  }
  console.log(`wrote ${file}`)
}
