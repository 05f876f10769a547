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

// ---- received messages -------------------------------------------------------------------

/**
 * Handling of one received message: gets `due` (true once the turn's budget is used up) and
 * returns true when finished, false when it stopped at a due point and wants to go on later.
 */
export type InboxTask = (due: () => boolean) => boolean

/** Received messages queued beyond this many are dropped, as a full socket buffer would. */
export const INBOX_MAX = 100_000

/**
 * Received messages of every node of the process, oldest first. A burst of datagrams read in
 * one poll phase, or a stream message of hundreds of events, is handled within a budget of
 * {@link SLICE_MS} per turn of the event loop; the rest waits for the next turns, so timers
 * (probes, acks) run in between. While nothing waits and the turn has budget left, a message
 * is handled at once, as before: single messages keep their synchronous effect.
 */
const inbox: (InboxTask | undefined)[] = []
let inboxHead = 0
/** When the current turn's first message was handled (-1: no turn under way). */
let turnStart = -1

const turnDue = (): boolean => performance.now() - turnStart >= SLICE_MS

function startTurn(): void {
  if (turnStart >= 0) return
  turnStart = performance.now()
  setImmediate(nextInboxTurn)
}

function nextInboxTurn(): void {
  turnStart = -1
  if (inboxHead === inbox.length) return
  startTurn()
  while (inboxHead < inbox.length) {
    let done = true
    try {
      done = inbox[inboxHead]!(turnDue)
    } catch {
      // a handler that throws is finished; the others go on
    }
    if (!done) break
    inbox[inboxHead++] = undefined
    if (turnDue()) break
  }
  if (inboxHead === inbox.length) {
    inbox.length = 0
    inboxHead = 0
  } else if (inboxHead > 4096 && inboxHead * 2 > inbox.length) {
    inbox.splice(0, inboxHead)
    inboxHead = 0
  }
}

/**
 * Handle a received message now when nothing waits and this turn has budget left, else queue
 * it behind the others: 'done' (handled now), 'queued' (whole or the rest of it), or 'dropped'
 * (more than {@link INBOX_MAX} waiting).
 */
export function receive(task: InboxTask): 'done' | 'queued' | 'dropped' {
  startTurn()
  if (inboxHead === inbox.length && !turnDue()) {
    let done = true
    try {
      done = task(turnDue)
    } catch {
      // as above
    }
    if (done) return 'done'
  } else if (inbox.length - inboxHead >= INBOX_MAX) return 'dropped'
  inbox.push(task)
  return 'queued'
}

/** Messages waiting (for tests and stats). */
export function inboxLength(): number {
  return inbox.length - inboxHead
}
