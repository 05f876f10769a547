// How long a process held its event loop, measured three ways: the wall-clock delay
// (monitorEventLoopDelay: on a loaded machine it includes the time the OS ran other
// processes), the CPU time the main thread used between two firings of a 5 ms timer (what our
// code held the loop for, whatever share of the CPU the machine gave us), and GC pauses.
// Shared by the D5 benchmark (bench/node.mjs) and test/large.test.ts.
import { readFileSync } from 'node:fs'
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks'

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`

function schedstatMs() {
  try {
    // first field: ns this thread ran on a CPU (Linux; the main thread is the one with tid = pid)
    const s = readFileSync(SCHEDSTAT, 'latin1')
    return Number(s.slice(0, s.indexOf(' '))) / 1e6
  } catch {
    return undefined
  }
}

/**
 * CPU ms of the main thread (Linux: /proc schedstat, ns resolution), or of the whole process
 * where that is not available (GC and other helper threads count too then).
 */
export const cpuSource = schedstatMs() === undefined ? 'process' : 'main-thread'
export function mainThreadCpuMs() {
  if (cpuSource === 'main-thread') return schedstatMs() ?? 0
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}

/** Start measuring; `stop()` returns the figures since then. */
export function startLoopMonitor({ intervalMs = 5, longCpuMs = 50 } = {}) {
  const delay = monitorEventLoopDelay({ resolution: 10 })
  delay.enable()
  let maxCpuMs = 0
  let last = mainThreadCpuMs()
  let lastAt = performance.now()
  // the ticks that held the loop longest, for tracing (with the GC pauses inside them)
  const long = []
  const gcs = []
  const timer = setInterval(() => {
    const now = mainThreadCpuMs()
    const at = performance.now()
    const cpuMs = now - last
    maxCpuMs = Math.max(maxCpuMs, cpuMs)
    if (cpuMs >= longCpuMs) {
      const gcMs = gcs
        .filter((g) => g.start >= lastAt && g.start <= at)
        .reduce((a, g) => a + g.duration, 0)
      long.push({
        at: Math.round(at),
        cpuMs: Math.round(cpuMs),
        wallMs: Math.round(at - lastAt),
        gcMs: Math.round(gcMs),
      })
    }
    last = now
    lastAt = at
  }, intervalMs)
  timer.unref()
  let maxGcMs = 0
  let maxGcKind = ''
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcs.push({ start: e.startTime, duration: e.duration })
      if (gcs.length > 1000) gcs.splice(0, 500)
      if (e.duration > maxGcMs) {
        maxGcMs = e.duration
        maxGcKind = String(e.detail?.kind ?? '')
      }
    }
  })
  gc.observe({ entryTypes: ['gc'] })
  return {
    stop() {
      delay.disable()
      clearInterval(timer)
      gc.disconnect()
      return {
        maxMs: delay.max / 1e6,
        p99Ms: delay.percentile(99) / 1e6,
        maxCpuMs,
        cpuSource,
        maxGcMs,
        maxGcKind,
        long,
      }
    },
  }
}
