export interface BenchResult {
  id: string
  name: string
  value: number
  unit: string
}
export function median(values: number[]): number
export function percentile(values: number[], p: number): number
export function now(): number
export function rssMiB(): number
export function rng(seed: number): () => number
export function writeResults(pkg: string, results: BenchResult[]): void
