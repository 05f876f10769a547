import type { BatchOp, KVStore, Watch } from '@libnetwork/datastore'
import { ConflictError, LibnetworkError } from '@libnetwork/types'

/** Where a record lives: this host's store, or the cluster's (for global-scope networks). */
export type RecordScope = 'local' | 'global'

/** One record write of a batch: a JSON document, or `undefined` to delete the record. */
export interface RecordWrite {
  key: string
  value: unknown
}

const enc = new TextEncoder()
const dec = new TextDecoder()

/**
 * The controller's records: JSON documents under a prefix in a `KVStore` (the global store for
 * global-scope networks when one is configured). Every write is a compare-and-swap on the
 * version this controller last read or wrote (kept here per key), so a record another writer
 * changed meanwhile (a second controller on the same store) is never overwritten: the write
 * fails with a ConflictError `record-changed` and nothing of it is stored.
 */
export class Records {
  readonly #local: KVStore
  readonly #global: KVStore | undefined
  readonly #prefix: string
  /** Last known version of each record, by scope-qualified key. */
  readonly #versions = new Map<string, number>()

  constructor(local: KVStore, global: KVStore | undefined, prefix: string) {
    this.#local = local
    this.#global = global
    this.#prefix = prefix
  }

  /** A global store distinct from the local one is configured. */
  get hasGlobal(): boolean {
    return this.#global !== undefined && this.#global !== this.#local
  }

  /** The store records of `scope` go to: the global one when configured, else the local one. */
  store(scope: RecordScope): KVStore {
    return scope === 'global' && this.#global ? this.#global : this.#local
  }

  #vkey(scope: RecordScope, key: string): string {
    return `${this.store(scope) === this.#local ? 'local' : 'global'}:${key}`
  }

  /** The records under `prefix`, sorted by key; their versions are remembered. */
  async list(prefix: string, scope: RecordScope = 'local'): Promise<RecordWrite[]> {
    const items = await this.store(scope).list(this.#prefix + prefix)
    return items.map((kv) => {
      const key = kv.key.slice(this.#prefix.length)
      this.#versions.set(this.#vkey(scope, key), kv.version)
      return { key, value: JSON.parse(dec.decode(kv.value)) as unknown }
    })
  }

  /** One record (its version is remembered for the next write), or `undefined`. */
  async get(key: string, scope: RecordScope = 'local'): Promise<unknown> {
    const kv = await this.store(scope).get(this.#prefix + key)
    const vkey = this.#vkey(scope, key)
    if (!kv) {
      this.#versions.delete(vkey)
      return undefined
    }
    this.#versions.set(vkey, kv.version)
    return JSON.parse(dec.decode(kv.value)) as unknown
  }

  /**
   * The keys of records under `prefix` that change (written or deleted by anyone) from now on;
   * the watch fails with the store (UnavailableError) and ends when `signal` aborts.
   */
  watch(prefix: string, scope: RecordScope, signal: AbortSignal): Watch {
    return this.store(scope).watch(this.#prefix + prefix, { prefix: true, signal })
  }

  /** The record key of a watched store key. */
  keyOf(storeKey: string): string {
    return storeKey.slice(this.#prefix.length)
  }

  /** Create or update a record (compare-and-swap on the version known here). */
  async put(key: string, value: unknown, scope: RecordScope = 'local'): Promise<void> {
    const vkey = this.#vkey(scope, key)
    const previous = this.#versions.get(vkey)
    const version = await this.#guard(key, () =>
      this.store(scope).atomicPut(this.#prefix + key, enc.encode(JSON.stringify(value)), {
        previous,
      }),
    )
    this.#versions.set(vkey, version)
  }

  /** Delete a record (compare-and-swap); a record never written here is no error. */
  async delete(key: string, scope: RecordScope = 'local'): Promise<void> {
    const vkey = this.#vkey(scope, key)
    const previous = this.#versions.get(vkey)
    if (previous === undefined) return
    await this.#guard(key, () => this.store(scope).atomicDelete(this.#prefix + key, { previous }))
    this.#versions.delete(vkey)
  }

  /** Several records of one scope in one conditional batch: all are written, or none. */
  async batch(writes: readonly RecordWrite[], scope: RecordScope = 'local'): Promise<void> {
    const ops: BatchOp[] = writes.map((w) => {
      const previous = this.#versions.get(this.#vkey(scope, w.key))
      const key = this.#prefix + w.key
      if (w.value === undefined) return { type: 'delete', key, previous }
      const value = enc.encode(JSON.stringify(w.value))
      return { type: 'put', key, value, previous: previous ?? 'absent' }
    })
    const version = await this.#guard(writes.map((w) => w.key).join(', '), () =>
      this.store(scope).batch(ops),
    )
    for (const w of writes) {
      const vkey = this.#vkey(scope, w.key)
      if (w.value === undefined) this.#versions.delete(vkey)
      else this.#versions.set(vkey, version)
    }
  }

  /** Release the local store (the global one belongs to whoever gave it: it is shared). */
  async close(): Promise<void> {
    await this.#local.close()
  }

  async #guard<T>(key: string, write: () => Promise<T>): Promise<T> {
    try {
      return await write()
    } catch (err) {
      if (LibnetworkError.isInstance(err) && err.code === 'stale-version') {
        throw new ConflictError(
          'record-changed',
          `record ${key} was changed by another writer since this controller read it`,
          { details: { key, ...(err.details ?? {}) }, cause: err },
        )
      }
      throw err
    }
  }
}
