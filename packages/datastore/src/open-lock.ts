import type { RootDatabase, open as lmdbOpen } from 'lmdb'

/**
 * A cross-process lock for one store directory: the write mutex of a second, never-written
 * LMDB environment (`<path>/open.lock`). It is robust (a holder that dies releases it).
 *
 * Why: the LMDB inside lmdb-js 3.x resets the shared "last committed transaction" counter while
 * opening an environment, from the meta page it read a moment earlier and without taking the
 * writer lock (the bug upstream LMDB fixed as ITS#9496). A transaction another process commits
 * in that window is forgotten: the next write transaction starts from the previous meta page
 * and overwrites it, so an acknowledged write is lost and its version handed out again.
 * Opening the store and every synchronous commit (`durability: 'commit'`) hold this lock, so
 * such a commit can never fall into another process's opening window. An empty transaction on
 * this environment changes nothing, so the bug cannot hit the lock itself. Not covered:
 * `durability: 'sync'` commits, which lmdb makes on its own write thread.
 */
export class OpenLock {
  readonly #env: RootDatabase<Buffer, string>

  /** `open` is lmdb's, loaded by the caller (lmdb is an optional peer dependency). */
  constructor(dir: string, open: typeof lmdbOpen) {
    this.#env = open<Buffer, string>({
      path: `${dir}/open.lock`,
      noSync: true,
      overlappingSync: false,
      mapSize: 1 << 20,
    })
  }

  /** Run `fn` holding the lock (blocks until other processes release it). */
  run<T>(fn: () => T): T {
    return this.#env.transactionSync(fn)
  }

  close(): Promise<void> {
    return this.#env.close()
  }
}
