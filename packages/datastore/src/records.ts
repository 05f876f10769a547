import { BadRequestError, ConflictError, LibnetworkError } from '@libnetwork/types'
import type { KVStore, Watch } from './contract.js'

/** Turns record values into bytes and back. */
export interface Codec<T> {
  encode(value: T): Uint8Array
  decode(bytes: Uint8Array): T
}

/** JSON text in UTF-8. */
export function jsonCodec<T>(): Codec<T> {
  return {
    encode: (value) => Buffer.from(JSON.stringify(value)),
    decode: (bytes) =>
      JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString()) as T,
  }
}

/** Bytes as they are. */
export function binaryCodec(): Codec<Uint8Array> {
  return { encode: (value) => value, decode: (bytes) => bytes }
}

/** A stored record: its id under the collection, full key path, value and version. */
export interface StoredRecord<T> {
  id: string
  key: string
  value: T
  version: number
}

export interface RecordStoreOptions<T> {
  /** Key path of the collection, ending in '/', e.g. `'docker/network/v1.0/network/'`. */
  prefix: string
  codec: Codec<T>
}

const ID_RE = /^[A-Za-z0-9._~:@+=,-]+$/

/**
 * Typed records under one key prefix (the controller's networks, endpoints, pools…). Writes
 * are compare-and-swap on the record's version. After `start()`, reads come from a cache that
 * a prefix watch keeps fresh (on the local backend: writes made through this process only).
 */
export class RecordStore<T> {
  readonly prefix: string
  #store: KVStore
  #codec: Codec<T>
  #cache: Map<string, StoredRecord<T>> | undefined
  // Version of the last delete seen per id, so an older listing cannot resurrect it.
  #deleted = new Map<string, number>()
  #watch: Watch | undefined
  #pump: Promise<void> | undefined

  constructor(store: KVStore, opts: RecordStoreOptions<T>) {
    if (typeof opts.prefix !== 'string' || !opts.prefix.endsWith('/')) {
      throw new BadRequestError(
        'invalid-prefix',
        `record prefix must end with '/': ${String(opts.prefix)}`,
      )
    }
    this.#store = store
    this.prefix = opts.prefix
    this.#codec = opts.codec
  }

  /** True once `start()` filled the cache and the watch keeps it fresh. */
  get cached(): boolean {
    return this.#cache !== undefined
  }

  keyOf(id: string): string {
    if (typeof id !== 'string' || !ID_RE.test(id)) {
      throw new BadRequestError('invalid-id', `invalid record id ${JSON.stringify(id)}`, {
        details: { id },
      })
    }
    return this.prefix + id
  }

  /** Watch the prefix, then load every record into the cache. */
  async start(): Promise<void> {
    if (this.#watch) return
    const cache = new Map<string, StoredRecord<T>>()
    const watch = this.#store.watch(this.prefix, { prefix: true })
    this.#watch = watch
    let ended = false
    const load = (key: string, value: Uint8Array, version: number): void => {
      const id = key.slice(this.prefix.length)
      if (ID_RE.test(id))
        this.#remember({ id, key, value: this.#codec.decode(value), version }, cache)
    }
    try {
      await watch.ready
      // Watch first, then list: a write between the two shows up in one or both, and the
      // version comparison in #remember/#forget keeps the newest.
      this.#pump = (async () => {
        try {
          for await (const ev of watch) {
            if (ev.type !== 'delete') load(ev.key, ev.value, ev.version)
            else if (ID_RE.test(ev.key.slice(this.prefix.length)))
              this.#forget(ev.key.slice(this.prefix.length), ev.version, cache)
          }
        } catch {
          // The watch failed (store unreachable): fall back to reading through.
        }
        ended = true
        if (this.#cache === cache) this.#cache = undefined
      })()
      for (const kv of await this.#store.list(this.prefix)) load(kv.key, kv.value, kv.version)
    } catch (err) {
      watch.close()
      this.#watch = undefined
      throw err
    }
    // Readers see the cache only once it is complete.
    if (!ended && this.#watch === watch) this.#cache = cache
  }

  /** Stop the watch and drop the cache. */
  async stop(): Promise<void> {
    this.#watch?.close()
    this.#watch = undefined
    this.#cache = undefined
    await this.#pump
  }

  async get(id: string): Promise<StoredRecord<T> | undefined> {
    const key = this.keyOf(id)
    if (this.#cache) return this.#cache.get(id)
    const kv = await this.#store.get(key)
    return kv ? { id, key, value: this.#codec.decode(kv.value), version: kv.version } : undefined
  }

  async list(): Promise<StoredRecord<T>[]> {
    if (this.#cache) return [...this.#cache.values()].sort((a, b) => (a.id < b.id ? -1 : 1))
    const out: StoredRecord<T>[] = []
    for (const kv of await this.#store.list(this.prefix)) {
      const id = kv.key.slice(this.prefix.length)
      if (ID_RE.test(id))
        out.push({ id, key: kv.key, value: this.#codec.decode(kv.value), version: kv.version })
    }
    return out
  }

  /** Store a new record; ConflictError `record-exists` when the id is taken. */
  async create(id: string, value: T): Promise<StoredRecord<T>> {
    const key = this.keyOf(id)
    const bytes = this.#codec.encode(value)
    let version: number
    try {
      version = await this.#store.atomicPut(key, bytes, {})
    } catch (err) {
      if (LibnetworkError.isInstance(err) && err.code === 'stale-version') {
        throw new ConflictError('record-exists', `record ${key} already exists`, {
          details: { key },
          cause: err,
        })
      }
      throw err
    }
    return this.#remember({ id, key, value, version })
  }

  /** Replace a record read at `record.version`; RetryError `stale-version` if it changed since. */
  async update(record: { id: string; value: T; version: number }): Promise<StoredRecord<T>> {
    const key = this.keyOf(record.id)
    const version = await this.#store.atomicPut(key, this.#codec.encode(record.value), {
      previous: record.version,
    })
    return this.#remember({ id: record.id, key, value: record.value, version })
  }

  /** Delete a record read at `record.version`; RetryError `stale-version` if it changed since. */
  async delete(record: { id: string; version: number }): Promise<void> {
    await this.#store.atomicDelete(this.keyOf(record.id), { previous: record.version })
    if (this.#cache) {
      // Nothing at or below the deleted version may bring it back; the watch's delete event
      // raises this mark to the delete's own version.
      this.#cache.delete(record.id)
      this.#deleted.set(record.id, Math.max(this.#deleted.get(record.id) ?? 0, record.version))
    }
  }

  /**
   * Read-modify-write with compare-and-swap, retried on conflicts: `fn` gets the current value
   * (undefined when absent) and returns the new one. Reads go to the store, not the cache.
   */
  async mutate(
    id: string,
    fn: (current: T | undefined) => T,
    opts: { retries?: number } = {},
  ): Promise<StoredRecord<T>> {
    const key = this.keyOf(id)
    const retries = opts.retries ?? 100
    for (let attempt = 0; ; attempt++) {
      const kv = await this.#store.get(key)
      const current = kv ? this.#codec.decode(kv.value) : undefined
      const value = fn(current)
      try {
        const version = await this.#store.atomicPut(key, this.#codec.encode(value), {
          previous: kv?.version,
        })
        return this.#remember({ id, key, value, version })
      } catch (err) {
        if (
          !(LibnetworkError.isInstance(err) && err.code === 'stale-version') ||
          attempt >= retries
        )
          throw err
      }
    }
  }

  #remember(rec: StoredRecord<T>, cache = this.#cache): StoredRecord<T> {
    if (cache) {
      const have = cache.get(rec.id)?.version ?? this.#deleted.get(rec.id) ?? 0
      if (rec.version > have) {
        cache.set(rec.id, rec)
        this.#deleted.delete(rec.id)
      }
    }
    return rec
  }

  #forget(id: string, version: number, cache = this.#cache): void {
    if (!cache) return
    const have = cache.get(id)?.version ?? 0
    if (version > have) {
      cache.delete(id)
      this.#deleted.set(id, version)
    }
  }
}
