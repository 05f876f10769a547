import type * as Lmdb from 'lmdb'
import type { Database, RootDatabase } from 'lmdb'
import { BadRequestError, UnavailableError } from '@libnetwork/types'
import type {
  AtomicDeleteOptions,
  AtomicPutOptions,
  BatchOp,
  KVPair,
  KVStore,
  Scope,
  Watch,
  WatchOptions,
} from './contract.js'
import {
  DEFAULT_LIMITS,
  checkBatch,
  checkKey,
  checkPrefix,
  checkValue,
  checkVersion,
  closedError,
  staleVersion,
  type Limits,
} from './validate.js'
import { Subscribers } from './subscribers.js'
import { CommitWriter, SyncedWriter, type Writer } from './local-writer.js'
import { OpenLock } from './open-lock.js'
import { loadOptional } from './optional.js'

export interface LocalStoreOptions extends Partial<Limits> {
  /** Directory of the database (created when missing). */
  path: string
  /** Default `'local'`. */
  scope?: Scope
  /**
   * `'sync'` (default): a write resolves once it is committed and synced to disk.
   * `'commit'`: a write resolves once committed (kept if the process is killed); the disk sync
   * follows within `flushIntervalMs`, so a power loss may take the writes of that window.
   */
  durability?: 'sync' | 'commit'
  /** With `durability: 'commit'`: how soon written data is synced to disk. Default 200 ms. */
  flushIntervalMs?: number
}
// Highest character a key may hold is '~' (0x7e): every key under a prefix sorts below this end.
const RANGE_END = '\x7f'
const MAX_PUT_RETRIES = 1000

/**
 * The embedded local backend on LMDB. Writes go through lmdb's write thread as conditional
 * puts (the version read is checked again at commit), so the event loop never blocks on disk.
 * Versions come from a store-wide counter kept in the same transaction as each write.
 * Watches are in-process: writes made by another process on the same files are not seen.
 */
export class LocalStore implements KVStore {
  readonly scope: Scope
  readonly backend = 'lmdb'
  readonly path: string
  #root: RootDatabase<Buffer, string>
  #data: Database<Buffer, string>
  #meta: Database<Buffer, string>
  #lock: OpenLock
  #limits: Limits
  #writer: Writer
  #subscribers = new Subscribers()
  #closed = false

  constructor(opts: LocalStoreOptions) {
    this.scope = opts.scope ?? 'local'
    this.path = opts.path
    this.#limits = {
      maxKeyBytes: opts.maxKeyBytes ?? DEFAULT_LIMITS.maxKeyBytes,
      maxValueBytes: opts.maxValueBytes ?? DEFAULT_LIMITS.maxValueBytes,
    }
    if (
      opts.durability !== undefined &&
      opts.durability !== 'sync' &&
      opts.durability !== 'commit'
    ) {
      throw new BadRequestError('invalid-durability', `durability must be 'sync' or 'commit'`, {
        details: { durability: String(opts.durability) },
      })
    }
    // lmdb is an optional peer dependency, loaded on the first local store.
    const { open } = loadOptional<typeof Lmdb>('lmdb', 'the local store (localStore)')
    let lock: OpenLock | undefined
    try {
      lock = new OpenLock(opts.path, open)
      // Opening holds the lock: see OpenLock for the lmdb bug this keeps other processes'
      // commits out of.
      ;[this.#root, this.#data, this.#meta] = lock.run(() => {
        const root = open<Buffer, string>({
          path: opts.path,
          maxDbs: 4,
          overlappingSync: false,
          noSync: opts.durability === 'commit',
        })
        const data = root.openDB<Buffer, string>('kv', { encoding: 'binary', useVersions: true })
        const meta = root.openDB<Buffer, string>('meta', { encoding: 'binary' })
        return [root, data, meta] as const
      })
      this.#lock = lock
    } catch (err) {
      void lock?.close()
      throw new UnavailableError(
        'store-open-failed',
        `cannot open the local store at ${opts.path}`,
        {
          details: { path: opts.path },
          cause: err,
        },
      )
    }
    const dbs = { root: this.#root, data: this.#data, meta: this.#meta, lock: this.#lock }
    this.#writer =
      opts.durability === 'commit'
        ? new CommitWriter(dbs, opts.flushIntervalMs ?? 200)
        : new SyncedWriter(dbs)
  }

  async get(key: string): Promise<KVPair | undefined> {
    this.#open()
    checkKey(key, this.#limits)
    // lmdb-js keeps a read snapshot between calls; renew it so writes made through another
    // handle on the same files (another store instance or process) are seen at once.
    this.#root.resetReadTxn()
    const entry = this.#data.getEntry(key)
    if (!entry) return undefined
    return { key, value: entry.value, version: entry.version ?? 0 }
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    this.#open()
    checkKey(key, this.#limits)
    checkValue(key, value, this.#limits)
    for (let i = 0; i < MAX_PUT_RETRIES; i++) {
      if (i > 0) this.#root.resetReadTxn()
      const current = this.#data.getEntry(key)?.version
      const version = await this.#write(key, value, current)
      if (version !== undefined) return version
    }
    throw new UnavailableError('store-busy', `could not write ${key}: too much contention`, {
      details: { key },
    })
  }

  async atomicPut(key: string, value: Uint8Array, opts: AtomicPutOptions): Promise<number> {
    this.#open()
    checkKey(key, this.#limits)
    checkValue(key, value, this.#limits)
    checkVersion(key, opts?.previous, true)
    const previous = opts?.previous
    const version = await this.#write(key, value, previous)
    if (version === undefined) throw staleVersion(key, previous, this.#data.getEntry(key)?.version)
    return version
  }

  async atomicDelete(key: string, opts: AtomicDeleteOptions): Promise<void> {
    this.#open()
    checkKey(key, this.#limits)
    checkVersion(key, opts?.previous, false)
    const ok = await this.#remove(key, opts.previous)
    if (!ok) throw staleVersion(key, opts.previous, this.#data.getEntry(key)?.version)
  }

  async delete(key: string): Promise<boolean> {
    this.#open()
    checkKey(key, this.#limits)
    for (let i = 0; i < MAX_PUT_RETRIES; i++) {
      if (i > 0) this.#root.resetReadTxn()
      const current = this.#data.getEntry(key)?.version
      if (current === undefined) return false
      if (await this.#remove(key, current)) return true
    }
    throw new UnavailableError('store-busy', `could not delete ${key}: too much contention`, {
      details: { key },
    })
  }

  async list(prefix: string): Promise<KVPair[]> {
    this.#open()
    checkPrefix(prefix, this.#limits)
    this.#root.resetReadTxn()
    const out: KVPair[] = []
    const range = prefix === '' ? { end: RANGE_END } : { start: prefix, end: prefix + RANGE_END }
    for (const { key, value, version } of this.#data.getRange({ ...range, versions: true })) {
      out.push({ key, value, version: version ?? 0 })
    }
    return out
  }

  async batch(ops: readonly BatchOp[]): Promise<number> {
    this.#open()
    checkBatch(ops, this.#limits)
    if (ops.length === 0) return this.#writer.current()
    const { version, events } = await this.#writer.batch(ops)
    for (const e of events) this.#subscribers.notify(e)
    return version
  }

  watch(key: string, opts: WatchOptions = {}): Watch {
    return this.#subscribers.add(key, opts, (prefix) => {
      this.#open()
      if (prefix) checkPrefix(key, this.#limits)
      else checkKey(key, this.#limits)
    })
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    this.#subscribers.endAll()
    await this.#writer.close()
    await this.#root.close()
    await this.#lock.close()
  }

  /** Conditional put; resolves to the new version, or undefined when the condition failed. */
  async #write(
    key: string,
    value: Uint8Array,
    previous: number | undefined,
  ): Promise<number | undefined> {
    const version = await this.#writer.write(key, value, previous)
    if (version !== undefined) {
      this.#subscribers.notify({
        type: previous === undefined ? 'create' : 'update',
        key,
        value,
        version,
      })
    }
    return version
  }

  async #remove(key: string, previous: number): Promise<boolean> {
    const version = await this.#writer.remove(key, previous)
    if (version === undefined) return false
    this.#subscribers.notify({ type: 'delete', key, version })
    return true
  }

  #open(): void {
    if (this.#closed) throw closedError(this.backend)
  }
}

/** Open (or create) the embedded local store at `opts.path`. */
export function localStore(opts: LocalStoreOptions): LocalStore {
  return new LocalStore(opts)
}
