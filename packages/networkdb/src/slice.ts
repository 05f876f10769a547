/**
 * Time slicing for long jobs on the main thread (bulk-sync encode and apply): work runs in
 * slices of about {@link SLICE_MS}, then yields. Yielding jobs wait in one queue per process
 * and resume one per turn of the event loop, so however many syncs run at once (several nodes
 * in one process, a node answering several peers), one turn holds at most one slice besides
 * its I/O: timers, probes and packets are served between slices. The oldest job goes first,
 * so the first answer a joining node waits for is not slowed by those behind it.
 *
 * The queue is per process on purpose: the event loop it protects is per process too.
 */

/** Target length of one slice of work, ms. */
export const SLICE_MS = 8
/** Items between two looks at the clock. */
export const SLICE_CHECK = 32

/** Jobs waiting for a turn, oldest job first. */
const waiting: { job: number; resume: () => void }[] = []
let scheduled = false
let jobs = 0

function drain(): void {
  scheduled = false
  const next = waiting.shift()
  if (waiting.length > 0) schedule()
  next?.resume()
}

function schedule(): void {
  if (scheduled) return
  scheduled = true
  setImmediate(drain)
}

/** Wait for job `job`'s next turn (one job resumes per turn of the event loop). */
export function nextTurn(job: number): Promise<void> {
  return new Promise<void>((resume) => {
    let i = waiting.length
    while (i > 0 && waiting[i - 1]!.job > job) i--
    waiting.splice(i, 0, { job, resume })
    schedule()
  })
}

export class TimeSlicer {
  #t0 = performance.now()
  readonly #job = ++jobs
  /** Slices that ran (for tests and stats). */
  slices = 1

  constructor(readonly budgetMs: number = SLICE_MS) {}

  /** True when this slice's time is used up. */
  get due(): boolean {
    return performance.now() - this.#t0 >= this.budgetMs
  }

  /** Yield to the event loop, then start a new slice. */
  async pause(): Promise<void> {
    await nextTurn(this.#job)
    this.#t0 = performance.now()
    this.slices++
  }

  /** Yield when item `i` is a check point and the slice is used up. */
  async maybePause(i: number): Promise<void> {
    if (i % SLICE_CHECK === 0 && this.due) await this.pause()
  }
}
