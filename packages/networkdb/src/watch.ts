import { BadRequestError, UnavailableError } from '@libnetwork/types'

/** A change to one entry, wherever in the cluster it happened. */
export interface WatchEvent {
  type: 'create' | 'update' | 'delete'
  table: string
  network: string
  key: string
  /** Node id of the entry's owner (the writer of this version). */
  owner: string
  /** The entry's value; for a delete, the value it had. */
  value: Uint8Array
  /** The entry's table Lamport time. */
  ltime: number
}

export interface WatchOptions {
  /** Only this table (all tables when omitted). */
  table?: string
  /** Only this network. */
  network?: string
  /** Only this key. */
  key?: string
  signal?: AbortSignal
  /**
   * Events buffered for a slow reader before the watch fails with
   * `networkdb.watch-overflow` (default 65,536). The database never waits for a watcher.
   */
  maxQueue?: number
}

const DEFAULT_MAX_QUEUE = 65_536

/** One subscription: an async iterable over a bounded queue. */
class Watcher implements AsyncIterableIterator<WatchEvent> {
  #queue: WatchEvent[] = []
  #head = 0
  #wake: ((r: IteratorResult<WatchEvent>) => void) | undefined
  #fail: ((err: unknown) => void) | undefined
  #done = false
  #error: unknown
  readonly #opts: WatchOptions
  readonly #max: number
  readonly #detach: () => void
  readonly #onAbort = (): void => this.#close()

  constructor(opts: WatchOptions, detach: () => void) {
    this.#opts = opts
    this.#max = opts.maxQueue ?? DEFAULT_MAX_QUEUE
    this.#detach = detach
    if (opts.signal?.aborted) this.#close()
    else opts.signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  get closed(): boolean {
    return this.#done
  }

  matches(ev: WatchEvent): boolean {
    const o = this.#opts
    return (
      (o.table === undefined || o.table === ev.table) &&
      (o.network === undefined || o.network === ev.network) &&
      (o.key === undefined || o.key === ev.key)
    )
  }

  push(ev: WatchEvent): void {
    if (this.#done) return
    const wake = this.#wake
    if (wake) {
      this.#wake = undefined
      this.#fail = undefined
      wake({ value: ev, done: false })
      return
    }
    if (this.#queue.length - this.#head >= this.#max) {
      this.#error = new UnavailableError(
        'networkdb.watch-overflow',
        `watcher fell more than ${this.#max} events behind and was closed; list the table and watch again`,
        { details: { maxQueue: this.#max } },
      )
      this.#close()
      return
    }
    this.#queue.push(ev)
  }

  #close(): void {
    if (this.#done) return
    this.#done = true
    this.#detach()
    this.#opts.signal?.removeEventListener('abort', this.#onAbort)
    if (this.#error !== undefined && this.#fail) this.#fail(this.#error)
    else this.#wake?.({ value: undefined, done: true })
    this.#wake = undefined
    this.#fail = undefined
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    if (this.#head < this.#queue.length) {
      const value = this.#queue[this.#head++]!
      if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
        this.#queue = this.#queue.slice(this.#head)
        this.#head = 0
      }
      return Promise.resolve({ value, done: false })
    }
    if (this.#error !== undefined) {
      const err = this.#error
      this.#error = undefined
      return Promise.reject(err instanceof Error ? err : new Error('watch failed'))
    }
    if (this.#done) return Promise.resolve({ value: undefined, done: true })
    return new Promise((resolve, reject) => {
      this.#wake = resolve
      this.#fail = reject
    })
  }

  return(): Promise<IteratorResult<WatchEvent>> {
    this.#queue = []
    this.#head = 0
    this.#error = undefined
    this.#close()
    return Promise.resolve({ value: undefined, done: true })
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<WatchEvent> {
    return this
  }
}

/** Fans entry changes out to watchers; never blocks the publisher. */
export class WatchHub {
  readonly #watchers = new Set<Watcher>()

  watch(opts: WatchOptions = {}): AsyncIterableIterator<WatchEvent> {
    if (opts.maxQueue !== undefined && !(Number.isInteger(opts.maxQueue) && opts.maxQueue > 0)) {
      throw new BadRequestError('networkdb.bad-watch', 'maxQueue must be a positive integer', {
        details: { maxQueue: opts.maxQueue },
      })
    }
    const ref: { w?: Watcher } = {}
    const w = new Watcher(opts, () => void (ref.w && this.#watchers.delete(ref.w)))
    ref.w = w
    if (!w.closed) this.#watchers.add(w)
    return w
  }

  publish(ev: WatchEvent): void {
    for (const w of this.#watchers) if (w.matches(ev)) w.push(ev)
  }

  get size(): number {
    return this.#watchers.size
  }
}
