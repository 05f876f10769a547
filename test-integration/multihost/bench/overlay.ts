// Overlay benchmarks (issue 17), written to bench-results/overlay.json: O1 (bench/overlay-o1.ts),
// O2 (overlay-o2.ts), O3 (overlay-o3.ts). OVERLAY_BENCH=o1,o2,o3 picks parts (default all);
// OVERLAY_MODE=etcd|etcdless the dnet cluster's global store (default etcdless).
import { writeResults } from '../../../tools/bench.mjs'
import type { Mode } from '../test/overlay-dnet.js'

export interface Result {
  id: string
  name: string
  value: number
  unit: string
}

const only = (process.env.OVERLAY_BENCH ?? 'o1,o2,o3').split(',')
const mode = (process.env.OVERLAY_MODE ?? 'etcdless') as Mode
const results: Result[] = []
const parts: Record<string, (td: { teardown(fn: () => unknown): void }) => Promise<Result[]>> = {
  o1: async (td) => (await import('./overlay-o1.js')).o1(td, mode),
  o2: async (td) => (await import('./overlay-o2.js')).o2(td, mode),
  o3: async (td) => (await import('./overlay-o3.js')).o3(td, mode),
}
for (const [name, run] of Object.entries(parts)) {
  if (!only.includes(name)) continue
  const cleanups: Array<() => unknown> = []
  try {
    results.push(...(await run({ teardown: (fn) => void cleanups.push(fn) })))
  } finally {
    for (const fn of cleanups.reverse()) await fn()
  }
}
writeResults('overlay', results)
