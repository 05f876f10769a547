/**
 * Time slicing for long jobs on the main thread (bulk-sync encode and apply): work runs in
 * slices of about {@link SLICE_MS} and then yields with `setImmediate`, so timers, probes and
 * other I/O are served between slices.
 */

/** Target length of one slice of work, ms. */
export const SLICE_MS = 8
/** Items between two looks at the clock. */
export const SLICE_CHECK = 64

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
    await new Promise<void>((resolve) => setImmediate(resolve))
    this.#t0 = performance.now()
    this.slices++
  }

  /** Yield when item `i` is a check point and the slice is used up. */
  async maybePause(i: number): Promise<void> {
    if (i % SLICE_CHECK === 0 && this.due) await this.pause()
  }
}
