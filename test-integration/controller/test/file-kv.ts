// The store of the kill -9 tests: the embedded local store (lmdb) in 'commit' durability, where
// every acknowledged write survives a kill -9 of the process that made it.
import { localStore, type LocalStore } from '@libnetwork/datastore'

export function fileKV(path: string): LocalStore {
  return localStore({ path, durability: 'commit' })
}

/** The keys of the store at `path` (opened and closed around the read). */
export async function storedKeys(path: string): Promise<string[]> {
  const kv = fileKV(path)
  try {
    return (await kv.list('')).map((e) => e.key)
  } finally {
    await kv.close()
  }
}
