/**
 * Time slicing for long jobs on the main thread (bulk-sync encode and apply): work runs in
 * slices of about {@link SLICE_MS}, then yields. Yielding jobs wait in one queue per process
 * and resume one per turn of the event loop, so however many syncs run at once (several nodes
 * in one process, a node answering several peers), one turn holds at most one slice besides
 * its I/O: timers, probes and packets are served between slices.
 *
 * The queue is per process on purpose: the event loop it protects is per process too.
 */

/** Target length of one slice of work, ms. */
export const SLICE_MS = 8
/** Items between two looks at the clock. */
export const SLICE_CHECK = 32

const waiting: (() => void)[] = []
let scheduled = false

function drain(): void {
  scheduled = false
  const next = waiting.shift()
  if (waiting.length > 0) schedule()
  next?.()
}

function schedule(): void {
  if (scheduled) return
  scheduled = true
  setImmediate(drain)
}

/** Wait for this job's next turn (one job resumes per turn of the event loop). */
export function nextTurn(): Promise<void> {
  return new Promise<void>((resolve) => {
    waiting.push(resolve)
    schedule()
  })
}

export class TimeSlicer {
  #t0 = performance.now()
  /** Slices that ran (for tests and stats). */
  slices = 1

  constructor(readonly budgetMs: number = SLICE_MS) {}

  /** True when this slice's time is used up. */
  get due(): boolean {
    return performance.now() - this.#t0 >= this.budgetMs
  }

  /** Yield to the event loop, then start a new slice. */
  async pause(): Promise<void> {
    await nextTurn()
    this.#t0 = performance.now()
    this.slices++
  }

  /** Yield when item `i` is a check point and the slice is used up. */
  async maybePause(i: number): Promise<void> {
    if (i % SLICE_CHECK === 0 && this.due) await this.pause()
  }
}
