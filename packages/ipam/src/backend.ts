/**
 * Where DefaultIpam keeps its state: in memory, or in an injected IpamStore with
 * compare-and-swap. The allocator's logic runs as a function over a state object; a function
 * validates before it mutates and says whether it changed anything.
 */
import { RetryError, LibnetworkError } from '@libnetwork/types'
import { AddressSet } from './address-set.js'
import { IpamErrorCode } from './contract.js'
import type { IpamStore } from './contract.js'
import { SpaceState } from './space.js'
import type { MasterRecord } from './space.js'

export interface Step<T> {
  value: T
  changed: boolean
}

/** Memory answers synchronously (no promise per step on the hot path); the store does not. */
export interface Backend {
  space<T>(name: string, fn: (s: SpaceState) => Step<T>, signal?: AbortSignal): T | Promise<T>
  addresses<T>(
    name: string,
    m: MasterRecord,
    fresh: () => AddressSet,
    fn: (set: AddressSet) => Step<T>,
    signal?: AbortSignal,
  ): T | Promise<T>
  dropAddresses(name: string, m: MasterRecord, signal?: AbortSignal): Promise<void>
}

function setKey(prefix: string, name: string, m: MasterRecord): string {
  return `${prefix}/${name}/addresses/${m.key.replace('/', '_')}/${m.gen}`
}

/** Everything in this process's memory; a failed step changes nothing because steps validate first. */
export class MemoryBackend implements Backend {
  private readonly spaces = new Map<string, SpaceState>()
  /** Keyed by the live pool record: a released and re-created pool gets a new record. */
  private readonly sets = new WeakMap<MasterRecord, AddressSet>()

  space<T>(name: string, fn: (s: SpaceState) => Step<T>, signal?: AbortSignal): T {
    signal?.throwIfAborted()
    return fn(this.state(name)).value
  }

  /** The live state of a space (memory only: the allocator's fast path reads it directly). */
  state(name: string): SpaceState {
    let s = this.spaces.get(name)
    if (s === undefined) {
      s = new SpaceState()
      this.spaces.set(name, s)
    }
    return s
  }

  /** The live address set of a pool. */
  set(m: MasterRecord, fresh: () => AddressSet): AddressSet {
    let set = this.sets.get(m)
    if (set === undefined) {
      set = fresh()
      this.sets.set(m, set)
    }
    return set
  }

  addresses<T>(
    _name: string,
    m: MasterRecord,
    fresh: () => AddressSet,
    fn: (set: AddressSet) => Step<T>,
    signal?: AbortSignal,
  ): T {
    signal?.throwIfAborted()
    return fn(this.set(m, fresh)).value
  }

  async dropAddresses(_name: string, m: MasterRecord): Promise<void> {
    this.sets.delete(m)
  }
}

function isStale(err: unknown): boolean {
  return LibnetworkError.isInstance(err) && err.category === 'retry'
}

/** One caller's step waiting for its key's next batch. */
interface Pending<S> {
  fn: (s: S) => Step<unknown>
  resolve: (value: unknown) => void
  reject: (err: unknown) => void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
}

interface Codec<S> {
  decode: (b: Uint8Array) => S
  empty: () => S
  encode: (s: S) => Uint8Array
}

/** The callers waiting on one key, and whether a batch of it is running. */
interface KeyQueue<S> {
  codec: Codec<S>
  waiting: Pending<S>[]
  running: boolean
}

/** What an aborted call rejects with: the signal's reason (an `AbortError` unless given). */
function abortReason(signal: AbortSignal): Error {
  const r: unknown = signal.reason
  return r instanceof Error ? r : new DOMException('This operation was aborted', 'AbortError')
}

/** Pause before compare-and-swap attempt `attempt` (1, 2, …): exponential, capped, full jitter. */
function backoff(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(2 ** attempt, 100)
  return new Promise((resolve) => setTimeout(resolve, ms))
}

/**
 * State in an IpamStore. Every step reads the current value, runs on a private copy, and
 * writes it back with compare-and-swap on the version it read; a stale version means another
 * allocator got there first, so the step runs again on the new value. Two allocators sharing
 * a store therefore never hand out the same address.
 *
 * Callers of one instance never race each other: the steps waiting on a key run as one batch
 * (one read, every step in arrival order on one copy, one write), and the next batch starts
 * when it is done. Only another writer on the store (another instance or process) can make a
 * write stale; the batch then runs again on the new value after a short random pause.
 */
export class StoreBackend implements Backend {
  private readonly queues = new Map<string, KeyQueue<unknown>>()

  constructor(
    private readonly store: IpamStore,
    private readonly prefix: string,
    private readonly maxAttempts: number,
  ) {}

  private cas<S, T>(
    key: string,
    codec: Codec<S>,
    fn: (s: S) => Step<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (signal?.aborted) {
        reject(abortReason(signal))
        return
      }
      let q = this.queues.get(key) as KeyQueue<S> | undefined
      if (q === undefined) {
        q = { codec, waiting: [], running: false }
        this.queues.set(key, q as KeyQueue<unknown>)
      }
      const p: Pending<S> = {
        fn,
        resolve: resolve as (v: unknown) => void,
        reject,
        signal,
        onAbort: undefined,
      }
      if (signal) {
        // Still waiting when aborted: leave the queue at once; nothing was done for it.
        const queue = q
        p.onAbort = () => {
          const i = queue.waiting.indexOf(p)
          if (i >= 0) {
            queue.waiting.splice(i, 1)
            reject(abortReason(signal))
          }
        }
        signal.addEventListener('abort', p.onAbort, { once: true })
      }
      q.waiting.push(p)
      if (!q.running) void this.drain(key, q)
    })
  }

  private async drain<S>(key: string, q: KeyQueue<S>): Promise<void> {
    q.running = true
    try {
      while (q.waiting.length > 0) {
        const batch = q.waiting.splice(0)
        await this.run(key, q.codec, batch)
      }
    } finally {
      q.running = false
      if (q.waiting.length === 0) this.queues.delete(key)
    }
  }

  /** Run one batch to the end: every caller of it is settled when this returns. */
  private async run<S>(key: string, codec: Codec<S>, batch: Pending<S>[]): Promise<void> {
    const settle = (p: Pending<S>, ok: boolean, v: unknown) => {
      if (p.onAbort) p.signal!.removeEventListener('abort', p.onAbort)
      if (ok) p.resolve(v)
      else p.reject(v)
    }
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (attempt > 0) await backoff(attempt)
      // Callers aborted before this attempt leave with nothing done.
      batch = batch.filter((p) =>
        p.signal?.aborted ? (settle(p, false, abortReason(p.signal)), false) : true,
      )
      if (batch.length === 0) return
      const outcomes: Array<{ ok: boolean; v: unknown }> = []
      let rec: { value: Uint8Array; version: number } | undefined
      let state: S
      try {
        rec = await this.store.get(key)
        state = rec ? codec.decode(rec.value) : codec.empty()
      } catch (err) {
        for (const p of batch) settle(p, false, err)
        return
      }
      let changed = false
      for (const p of batch) {
        // A step validates before it changes anything, so a failed step leaves `state` as it was.
        try {
          const step = p.fn(state)
          changed ||= step.changed
          outcomes.push({ ok: true, v: step.value })
        } catch (err) {
          outcomes.push({ ok: false, v: err })
        }
      }
      if (changed) {
        try {
          await this.store.atomicPut(key, codec.encode(state), { previous: rec?.version })
        } catch (err) {
          if (isStale(err)) continue
          for (const p of batch) settle(p, false, err)
          return
        }
      }
      batch.forEach((p, i) => settle(p, outcomes[i]!.ok, outcomes[i]!.v))
      return
    }
    const err = new RetryError(
      IpamErrorCode.tooManyRetries,
      `gave up on ${key} after ${this.maxAttempts} compare-and-swap conflicts`,
      { details: { key, attempts: this.maxAttempts } },
    )
    for (const p of batch) settle(p, false, err)
  }

  space<T>(name: string, fn: (s: SpaceState) => Step<T>, signal?: AbortSignal): Promise<T> {
    return this.cas(
      `${this.prefix}/${name}/pools`,
      {
        decode: (b) => SpaceState.decode(b),
        empty: () => new SpaceState(),
        encode: (s) => s.encode(),
      },
      fn,
      signal,
    )
  }

  addresses<T>(
    name: string,
    m: MasterRecord,
    fresh: () => AddressSet,
    fn: (set: AddressSet) => Step<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    return this.cas(
      setKey(this.prefix, name, m),
      { decode: (b) => AddressSet.decode(b, m.pool.size), empty: fresh, encode: (s) => s.encode() },
      fn,
      signal,
    )
  }

  async dropAddresses(name: string, m: MasterRecord, signal?: AbortSignal): Promise<void> {
    const key = setKey(this.prefix, name, m)
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      if (attempt > 0) await backoff(attempt)
      signal?.throwIfAborted()
      const rec = await this.store.get(key)
      if (!rec) return
      try {
        await this.store.atomicDelete(key, { previous: rec.version })
        return
      } catch (err) {
        if (!isStale(err) && !(LibnetworkError.isInstance(err) && err.category === 'not-found')) {
          throw err
        }
      }
    }
  }
}
