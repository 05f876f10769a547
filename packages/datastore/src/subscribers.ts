import { toLibnetworkError } from '@libnetwork/types'
import type { Watch, WatchEvent, WatchOptions } from './contract.js'
import { WatchStream } from './watch-stream.js'

interface Subscriber {
  key: string
  prefix: boolean
  stream: WatchStream
}

/** The in-process watchers of a store (the memory and embedded backends): who gets which event. */
export class Subscribers {
  #subs = new Set<Subscriber>()

  /**
   * A new watch of `key` (a prefix with `opts.prefix`). `check` validates the request; when it
   * throws, the watch fails through `ready` and its iterator, as the contract says.
   */
  add(key: string, opts: WatchOptions, check: (prefix: boolean) => void): Watch {
    const prefix = opts.prefix === true
    let ready: Promise<void> = Promise.resolve()
    try {
      check(prefix)
    } catch (err) {
      ready = Promise.reject(toLibnetworkError(err))
    }
    const sub: Subscriber = {
      key,
      prefix,
      stream: new WatchStream(ready, () => this.#subs.delete(sub), opts.signal),
    }
    if (!sub.stream.closed) this.#subs.add(sub)
    return sub.stream
  }

  /** Deliver `event` to every matching watcher, each with its own copy of the value. */
  notify(event: WatchEvent): void {
    for (const sub of this.#subs) {
      if (!(sub.prefix ? event.key.startsWith(sub.key) : event.key === sub.key)) continue
      // Each watcher gets its own copy: the writer may reuse its buffer.
      sub.stream.push(event.type === 'delete' ? event : { ...event, value: event.value.slice() })
    }
  }

  /** End every watch (the store is closing). */
  endAll(): void {
    for (const sub of this.#subs) sub.stream.end()
    this.#subs.clear()
  }
}
