export declare const cpuSource: 'main-thread' | 'process'
export declare function mainThreadCpuMs(): number
export interface LoopFigures {
  /** Longest event-loop delay, wall clock, ms. */
  maxMs: number
  p99Ms: number
  /** Most CPU time the main thread used between two timer firings, ms. */
  maxCpuMs: number
  cpuSource: 'main-thread' | 'process'
  /** Longest GC pause (wall clock) and its kind (PerformanceObserver's gc detail.kind). */
  maxGcMs: number
  maxGcKind: string
  /** Ticks with at least `longCpuMs` of main-thread CPU: when, CPU, wall, GC inside, ms. */
  long: { at: number; cpuMs: number; wallMs: number; gcMs: number }[]
}
export declare function startLoopMonitor(opts?: { intervalMs?: number; longCpuMs?: number }): {
  stop(): LoopFigures
}
