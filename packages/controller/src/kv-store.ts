import type { ControllerStore } from './contracts.js'

/** The part of `@libnetwork/datastore`'s `KVStore` the controller uses (matched structurally). */
export interface KVLike {
  get(key: string): Promise<{ value: Uint8Array } | undefined>
  put(key: string, value: Uint8Array): Promise<unknown>
  delete(key: string): Promise<unknown>
  list(prefix: string): Promise<Array<{ key: string; value: Uint8Array }>>
  close?(): Promise<void>
}

/**
 * Keep the controller's records in a key-value store (e.g. `localStore()` of
 * `@libnetwork/datastore`) as JSON documents under `prefix` (default `libnetwork/controller/v1/`).
 */
export function kvStore(kv: KVLike, opts: { prefix?: string } = {}): ControllerStore {
  const prefix = opts.prefix ?? 'libnetwork/controller/v1/'
  const enc = new TextEncoder()
  const dec = new TextDecoder()
  return {
    async get(key) {
      const p = await kv.get(prefix + key)
      return p === undefined ? undefined : (JSON.parse(dec.decode(p.value)) as unknown)
    },
    async put(key, value) {
      await kv.put(prefix + key, enc.encode(JSON.stringify(value)))
    },
    async delete(key) {
      await kv.delete(prefix + key)
    },
    async list(p) {
      const items = await kv.list(prefix + p)
      return items
        .map((i) => ({
          key: i.key.slice(prefix.length),
          value: JSON.parse(dec.decode(i.value)) as unknown,
        }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    },
    async close() {
      await kv.close?.()
    },
  }
}
