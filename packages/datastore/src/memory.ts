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
  failedCondition,
  staleVersion,
  type Limits,
} from './validate.js'
import { Subscribers } from './subscribers.js'

export interface MemoryStoreOptions extends Partial<Limits> {
  /** Default `'local'`. */
  scope?: Scope
}

interface Entry {
  value: Uint8Array
  version: number
}

/**
 * The whole contract in process memory: versions from a store-wide counter, compare-and-swap,
 * conditional batches, sorted lists and watches, with the same key and value rules and errors
 * as the lmdb and etcd backends. For tests of the layers above and for throw-away state;
 * nothing survives the process. Values are copied in and out, so callers may reuse buffers.
 */
export class MemoryStore implements KVStore {
  readonly scope: Scope
  readonly backend = 'memory'
  #data = new Map<string, Entry>()
  #revision = 0
  #limits: Limits
  #subscribers = new Subscribers()
  #closed = false

  constructor(opts: MemoryStoreOptions = {}) {
    this.scope = opts.scope ?? 'local'
    this.#limits = {
      maxKeyBytes: opts.maxKeyBytes ?? DEFAULT_LIMITS.maxKeyBytes,
      maxValueBytes: opts.maxValueBytes ?? DEFAULT_LIMITS.maxValueBytes,
    }
  }

  async get(key: string): Promise<KVPair | undefined> {
    this.#open()
    checkKey(key, this.#limits)
    const e = this.#data.get(key)
    return e ? { key, value: e.value.slice(), version: e.version } : undefined
  }

  async put(key: string, value: Uint8Array): Promise<number> {
    this.#open()
    checkKey(key, this.#limits)
    checkValue(key, value, this.#limits)
    return this.#set(key, value, ++this.#revision)
  }

  async atomicPut(key: string, value: Uint8Array, opts: AtomicPutOptions): Promise<number> {
    this.#open()
    checkKey(key, this.#limits)
    checkValue(key, value, this.#limits)
    checkVersion(key, opts?.previous, true)
    const actual = this.#data.get(key)?.version
    if (actual !== opts?.previous) throw staleVersion(key, opts?.previous, actual)
    return this.#set(key, value, ++this.#revision)
  }

  async atomicDelete(key: string, opts: AtomicDeleteOptions): Promise<void> {
    this.#open()
    checkKey(key, this.#limits)
    checkVersion(key, opts?.previous, false)
    const actual = this.#data.get(key)?.version
    if (actual !== opts.previous) throw staleVersion(key, opts.previous, actual)
    this.#remove(key, ++this.#revision)
  }

  async delete(key: string): Promise<boolean> {
    this.#open()
    checkKey(key, this.#limits)
    if (!this.#data.has(key)) return false
    this.#remove(key, ++this.#revision)
    return true
  }

  async list(prefix: string): Promise<KVPair[]> {
    this.#open()
    checkPrefix(prefix, this.#limits)
    const out: KVPair[] = []
    for (const [key, e] of this.#data) {
      if (key.startsWith(prefix)) out.push({ key, value: e.value.slice(), version: e.version })
    }
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  }

  async batch(ops: readonly BatchOp[]): Promise<number> {
    this.#open()
    checkBatch(ops, this.#limits)
    if (ops.length === 0) return this.#revision
    const failed = failedCondition(ops, (key) => this.#data.get(key)?.version)
    if (failed) throw failed
    const version = ++this.#revision
    for (const op of ops) {
      if (op.type === 'put') this.#set(op.key, op.value, version)
      else this.#remove(op.key, version)
    }
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
  }

  #set(key: string, value: Uint8Array, version: number): number {
    const existed = this.#data.has(key)
    this.#data.set(key, { value: value.slice(), version })
    this.#subscribers.notify({ type: existed ? 'update' : 'create', key, value, version })
    return version
  }

  #remove(key: string, version: number): void {
    if (this.#data.delete(key)) this.#subscribers.notify({ type: 'delete', key, version })
  }

  #open(): void {
    if (this.#closed) throw closedError(this.backend)
  }
}

/** A fresh, empty in-memory store. */
export function memoryStore(opts: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(opts)
}
