// The store of the kill -9 tests: the embedded local store (lmdb) in 'commit' durability, where
// every acknowledged write survives a kill -9 of the process that made it.
import { localStore, type LocalStore } from '@libnetwork/datastore'

/** The store in directory `path` (a path with an extension would be taken for a file by lmdb). */
export function fileKV(path: string): LocalStore {
  return localStore({ path, durability: 'commit' })
}
