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

  space<T>(name: string, fn: (s: SpaceState) => Step<T>): T {
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
  ): T {
    return fn(this.set(m, fresh)).value
  }

  async dropAddresses(_name: string, m: MasterRecord): Promise<void> {
    this.sets.delete(m)
  }
}

function isStale(err: unknown): boolean {
  return LibnetworkError.isInstance(err) && err.category === 'retry'
}

/**
 * State in an IpamStore. Every step reads the current value, runs on a private copy, and
 * writes it back with compare-and-swap on the version it read; a stale version means another
 * allocator got there first, so the step runs again on the new value. Two allocators sharing
 * a store therefore never hand out the same address.
 */
export class StoreBackend implements Backend {
  constructor(
    private readonly store: IpamStore,
    private readonly prefix: string,
    private readonly maxAttempts: number,
  ) {}

  private async cas<S, T>(
    key: string,
    decode: (b: Uint8Array) => S,
    empty: () => S,
    encode: (s: S) => Uint8Array,
    fn: (s: S) => Step<T>,
    signal: AbortSignal | undefined,
  ): Promise<T> {
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
      signal?.throwIfAborted()
      const rec = await this.store.get(key)
      const state = rec ? decode(rec.value) : empty()
      const { value, changed } = fn(state)
      if (!changed) return value
      try {
        await this.store.atomicPut(key, encode(state), { previous: rec?.version })
        return value
      } catch (err) {
        if (!isStale(err)) throw err
      }
    }
    throw new RetryError(
      IpamErrorCode.tooManyRetries,
      `gave up on ${key} after ${this.maxAttempts} compare-and-swap conflicts`,
      { details: { key, attempts: this.maxAttempts } },
    )
  }

  space<T>(name: string, fn: (s: SpaceState) => Step<T>, signal?: AbortSignal): Promise<T> {
    return this.cas(
      `${this.prefix}/${name}/pools`,
      (b) => SpaceState.decode(b),
      () => new SpaceState(),
      (s) => s.encode(),
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
      (b) => AddressSet.decode(b),
      fresh,
      (s) => s.encode(),
      fn,
      signal,
    )
  }

  async dropAddresses(name: string, m: MasterRecord, signal?: AbortSignal): Promise<void> {
    const key = setKey(this.prefix, name, m)
    for (let attempt = 0; attempt < this.maxAttempts; attempt++) {
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
