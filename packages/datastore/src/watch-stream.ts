import { toLibnetworkError } from '@libnetwork/types'
import type { Watch, WatchEvent } from './contract.js'

/**
 * A push-to-pull queue behind every backend's `watch`: the backend pushes events, the
 * consumer pulls them with `for await`. Events are buffered until read. `end()` finishes the
 * iteration after the buffered events; `fail()` makes the next read throw.
 */
export class WatchStream implements Watch {
  readonly ready: Promise<void>
  #buffer: WatchEvent[] = []
  #waiting: ((r: IteratorResult<WatchEvent>) => void) | undefined
  #rejectWaiting: ((e: unknown) => void) | undefined
  #done = false
  #error: Error | undefined
  #onClose: () => void
  #signal: AbortSignal | undefined
  #onAbort = (): void => this.close()

  constructor(ready: Promise<void>, onClose: () => void, signal?: AbortSignal) {
    this.ready = ready
    this.#onClose = onClose
    this.#signal = signal
    // A failed registration surfaces through `ready` and the iterator, never as unhandled.
    ready.catch((err: unknown) => this.fail(err))
    if (signal?.aborted) queueMicrotask(this.#onAbort)
    else signal?.addEventListener('abort', this.#onAbort, { once: true })
  }

  get closed(): boolean {
    return this.#done
  }

  push(event: WatchEvent): void {
    if (this.#done) return
    const waiting = this.#waiting
    if (waiting) {
      this.#waiting = undefined
      this.#rejectWaiting = undefined
      waiting({ value: event, done: false })
    } else {
      this.#buffer.push(event)
    }
  }

  /** Finish after the buffered events. */
  end(): void {
    if (this.#done) return
    this.#done = true
    this.#signal?.removeEventListener('abort', this.#onAbort)
    const waiting = this.#waiting
    this.#waiting = undefined
    this.#rejectWaiting = undefined
    waiting?.({ value: undefined, done: true })
  }

  fail(err: unknown): void {
    if (this.#done) return
    const error = toLibnetworkError(err)
    const reject = this.#rejectWaiting
    this.#waiting = undefined
    this.#rejectWaiting = undefined
    if (reject) reject(error)
    else this.#error = error
    this.end()
    this.#onClose()
  }

  close(): void {
    if (this.#done) return
    this.end()
    this.#onClose()
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchEvent> {
    return {
      next: () => {
        const event = this.#buffer.shift()
        if (event !== undefined) return Promise.resolve({ value: event, done: false })
        if (this.#error !== undefined) {
          const err = this.#error
          this.#error = undefined
          return Promise.reject(err)
        }
        if (this.#done) return Promise.resolve({ value: undefined, done: true })
        return new Promise<IteratorResult<WatchEvent>>((resolve, reject) => {
          this.#waiting = resolve
          this.#rejectWaiting = reject
        })
      },
      return: () => {
        this.close()
        this.#buffer = []
        return Promise.resolve({ value: undefined, done: true })
      },
    }
  }
}
