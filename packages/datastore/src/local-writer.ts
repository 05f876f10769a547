import type { Database, RootDatabase } from 'lmdb'
import type { RetryError } from '@libnetwork/types'
import type { BatchOp, WatchEvent } from './contract.js'
import type { OpenLock } from './open-lock.js'
import { failedCondition, isConditional } from './validate.js'

/** How the local store commits: the two durability modes behind one interface. */
export interface Writer {
  /** Conditional put; the new version, or undefined when `previous` no longer matches. */
  write(key: string, value: Uint8Array, previous: number | undefined): Promise<number | undefined>
  /** Conditional delete; the delete's version, or undefined when `previous` no longer matches. */
  remove(key: string, previous: number): Promise<number | undefined>
  /**
   * Atomic batch; the batch's version and the events it caused. When a condition of the batch
   * fails nothing is written and it throws `RetryError` (`stale-version`).
   */
  batch(ops: readonly BatchOp[]): Promise<BatchResult>
  /** The highest version written so far. */
  current(): number
  close(): Promise<void>
}

export interface Dbs {
  root: RootDatabase<Buffer, string>
  data: Database<Buffer, string>
  meta: Database<Buffer, string>
  /** Held by every store opening on these files; see OpenLock. */
  lock: OpenLock
}

export interface BatchResult {
  version: number
  events: WatchEvent[]
}

const REVISION = 'revision'

function bytes(value: Uint8Array): Buffer {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

function revisionBytes(version: number): Buffer {
  return Buffer.from(String(version), 'latin1')
}

export function readRevision(meta: Database<Buffer, string>): number {
  const rev = meta.get(REVISION)
  return rev ? Number(rev.toString('latin1')) : 0
}

/**
 * `durability: 'sync'`: conditional puts queued to lmdb's write thread, which re-checks the
 * version at commit and fsyncs before the promise resolves. The event loop never waits on the
 * disk, and writes issued in the same event turn share one commit.
 */
export class SyncedWriter implements Writer {
  #revision: number
  constructor(private readonly db: Dbs) {
    this.#revision = readRevision(db.meta)
  }

  /**
   * The next version: above both this process's counter and the committed counter. The meta
   * record commits together with every write, so a caller that has seen another process's
   * write of a key also sees a counter at least that high: a key never gets a version twice.
   */
  #next(): number {
    this.#revision = Math.max(this.#revision, readRevision(this.db.meta)) + 1
    return this.#revision
  }

  async write(
    key: string,
    value: Uint8Array,
    previous: number | undefined,
  ): Promise<number | undefined> {
    const { data, meta } = this.db
    const version = this.#next()
    const body = (): void => {
      void data.put(key, bytes(value), version)
      void meta.put(REVISION, revisionBytes(version))
    }
    const ok =
      previous === undefined ? data.ifNoExists(key, body) : data.ifVersion(key, previous, body)
    return (await ok) ? version : undefined
  }

  async remove(key: string, previous: number): Promise<number | undefined> {
    const { data, meta } = this.db
    const version = this.#next()
    const ok = data.ifVersion(key, previous, () => {
      void data.remove(key)
      void meta.put(REVISION, revisionBytes(version))
    })
    return (await ok) ? version : undefined
  }

  async batch(ops: readonly BatchOp[]): Promise<BatchResult> {
    const { data, meta } = this.db
    if (isConditional(ops)) {
      // Conditions are checked and the writes made inside one write transaction on lmdb's
      // write thread: nothing can commit between the check and the writes. A failed condition
      // returns (not throws) so the other writes sharing the transaction still commit. The
      // version is taken now, like every other write's, so the queued writes commit their
      // versions (and the counter) in the order they were asked for.
      const version = this.#next()
      const result = await data.transaction((): BatchResult | RetryError => {
        const failed = failedCondition(ops, (key) => data.getEntry(key)?.version)
        if (failed) return failed
        const events = batchEvents(ops, version, (key) => data.doesExist(key))
        applyBatch(data, ops, version)
        void meta.put(REVISION, revisionBytes(version))
        return { version, events }
      })
      if (!('events' in result)) throw result
      return result
    }
    const version = this.#next()
    const events = batchEvents(ops, version, (key) => data.doesExist(key))
    await data.batch(() => {
      applyBatch(data, ops, version)
      void meta.put(REVISION, revisionBytes(version))
    })
    return { version, events }
  }

  current(): number {
    return this.#revision
  }

  async close(): Promise<void> {}
}

/**
 * `durability: 'commit'`: each write is a short synchronous LMDB transaction without fsync. It
 * is acknowledged once committed: visible to other processes and kept if this process is
 * killed. The OS writes it to disk; a background sync every `flushIntervalMs` bounds what a
 * power loss can take. Versions are read and bumped inside the transaction, so several
 * processes sharing the files still get unique, growing versions. Each transaction holds the
 * open lock, so another process opening the files cannot make LMDB forget it (see OpenLock).
 */
export class CommitWriter implements Writer {
  #timer: NodeJS.Timeout | undefined
  constructor(
    private readonly db: Dbs,
    private readonly flushIntervalMs: number,
  ) {}

  async write(
    key: string,
    value: Uint8Array,
    previous: number | undefined,
  ): Promise<number | undefined> {
    const { data, meta } = this.db
    const version = this.#commit(() => {
      if (data.getEntry(key)?.version !== previous) return undefined
      const v = readRevision(meta) + 1
      data.putSync(key, bytes(value), v)
      meta.putSync(REVISION, revisionBytes(v))
      return v
    })
    this.#dirty()
    return version
  }

  async remove(key: string, previous: number): Promise<number | undefined> {
    const { data, meta } = this.db
    const version = this.#commit(() => {
      if (data.getEntry(key)?.version !== previous) return undefined
      const v = readRevision(meta) + 1
      data.removeSync(key)
      meta.putSync(REVISION, revisionBytes(v))
      return v
    })
    this.#dirty()
    return version
  }

  async batch(ops: readonly BatchOp[]): Promise<BatchResult> {
    const { data, meta } = this.db
    const result = this.#commit((): BatchResult | RetryError => {
      const failed = failedCondition(ops, (key) => data.getEntry(key)?.version)
      if (failed) return failed
      const v = readRevision(meta) + 1
      const events = batchEvents(ops, v, (key) => data.doesExist(key))
      for (const op of ops) {
        if (op.type === 'put') data.putSync(op.key, bytes(op.value), v)
        else data.removeSync(op.key)
      }
      meta.putSync(REVISION, revisionBytes(v))
      return { version: v, events }
    })
    if (!('events' in result)) throw result
    this.#dirty()
    return result
  }

  current(): number {
    return readRevision(this.db.meta)
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer)
    this.#timer = undefined
    await this.#sync()
  }

  /** One synchronous LMDB write transaction, under the open lock. */
  #commit<T>(body: () => T): T {
    return this.db.lock.run(() => this.db.root.transactionSync(body))
  }

  #dirty(): void {
    if (this.#timer) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      void this.#sync()
    }, this.flushIntervalMs)
    this.#timer.unref()
  }

  #sync(): Promise<void> {
    // RootDatabase.sync (mdb_env_sync on lmdb's thread) is missing from lmdb's typings.
    const root = this.db.root as unknown as { sync(cb: (err?: Error) => void): void }
    return new Promise((resolve) => root.sync(() => resolve()))
  }
}

/** Make a batch's writes inside the current transaction. */
function applyBatch(
  data: Database<Buffer, string>,
  ops: readonly BatchOp[],
  version: number,
): void {
  for (const op of ops) {
    if (op.type === 'put') void data.put(op.key, bytes(op.value), version)
    else void data.remove(op.key)
  }
}

/** The events a batch causes, given which keys existed before it. */
function batchEvents(
  ops: readonly BatchOp[],
  version: number,
  existed: (key: string) => boolean,
): WatchEvent[] {
  const present = new Map<string, boolean>()
  const events: WatchEvent[] = []
  for (const op of ops) {
    const before = present.get(op.key) ?? existed(op.key)
    if (op.type === 'put') {
      events.push({ type: before ? 'update' : 'create', key: op.key, value: op.value, version })
      present.set(op.key, true)
    } else {
      if (before) events.push({ type: 'delete', key: op.key, version })
      present.set(op.key, false)
    }
  }
  return events
}
