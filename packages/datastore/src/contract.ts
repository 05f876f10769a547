/**
 * The store contract: a small typed key-value interface that every backend implements.
 *
 * Versions are positive integers that grow with every write (etcd: the key's mod_revision;
 * local: a store-wide write counter). A compare-and-swap names the version it read; a
 * mismatch throws `RetryError` with code `stale-version`.
 */

/** Where a store's data lives: this host only, or shared by every host of a cluster. */
export type Scope = 'local' | 'global'

/** One stored entry. */
export interface KVPair {
  key: string
  value: Uint8Array
  /** Version of the last write of this key. */
  version: number
}

/** A change seen by a watch. */
export type WatchEvent =
  | { type: 'create' | 'update'; key: string; value: Uint8Array; version: number }
  | { type: 'delete'; key: string; version: number }

export interface AtomicPutOptions {
  /** Version the caller read; `undefined` means the key must not exist yet. */
  previous?: number
}

export interface AtomicDeleteOptions {
  /** Version the caller read. */
  previous: number
}

export interface WatchOptions {
  /** Watch every key that starts with `key` instead of the one key. */
  prefix?: boolean
  /** Ends the watch: the iteration finishes without an error. */
  signal?: AbortSignal
}

/**
 * One write of a batch. `previous` makes it conditional: a number is the version the caller
 * read, `'absent'` means the key must not exist. If any condition fails, nothing of the batch is
 * written and the batch throws `RetryError` with code `stale-version`. Without `previous` the
 * write is unconditional.
 */
export type BatchOp =
  | { type: 'put'; key: string; value: Uint8Array; previous?: number | 'absent' }
  | { type: 'delete'; key: string; previous?: number }

/**
 * A live watch: iterate it with `for await`. `ready` resolves once the watch is registered, so
 * every write that starts after it is seen. Breaking out of the loop, aborting the signal, or
 * closing the store ends it.
 */
export interface Watch extends AsyncIterable<WatchEvent> {
  readonly ready: Promise<void>
  /** End the watch. */
  close(): void
}

/** The key-value store contract shared by the local (lmdb) and global (etcd) backends. */
export interface KVStore {
  readonly scope: Scope
  readonly backend: string
  /** The entry at `key`, or `undefined`. */
  get(key: string): Promise<KVPair | undefined>
  /** Write unconditionally; returns the new version. */
  put(key: string, value: Uint8Array): Promise<number>
  /** Compare-and-swap write; returns the new version. */
  atomicPut(key: string, value: Uint8Array, opts: AtomicPutOptions): Promise<number>
  /** Compare-and-swap delete. */
  atomicDelete(key: string, opts: AtomicDeleteOptions): Promise<void>
  /** Delete unconditionally; true when the key existed. */
  delete(key: string): Promise<boolean>
  /** Every entry whose key starts with `prefix`, sorted by key. */
  list(prefix: string): Promise<KVPair[]>
  /**
   * Apply puts and deletes atomically (each key at most once); returns the version of the
   * batch. An empty batch writes nothing and returns the store's current version.
   */
  batch(ops: readonly BatchOp[]): Promise<number>
  /** Changes to `key` (or to every key under it with `prefix: true`) from now on. */
  watch(key: string, opts?: WatchOptions): Watch
  /** Release the store; watches end, later calls throw `UnavailableError`. */
  close(): Promise<void>
}
