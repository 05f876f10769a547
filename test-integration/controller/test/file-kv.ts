// A small file-backed key-value store (one JSON file, replaced atomically on every write) that
// survives kill -9 of the process using it; stands in for @libnetwork/datastore's local store.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import type { KVLike } from '@libnetwork/controller'

export function fileKV(path: string): KVLike & { keys(): string[] } {
  const load = (): Record<string, string> => {
    try {
      return JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>
    } catch {
      return {}
    }
  }
  const save = (data: Record<string, string>) => {
    writeFileSync(`${path}.tmp`, JSON.stringify(data))
    renameSync(`${path}.tmp`, path)
  }
  const b64 = (v: Uint8Array) => Buffer.from(v).toString('base64')
  const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'))
  return {
    keys: () => Object.keys(load()).sort(),
    async get(key) {
      const v = load()[key]
      return v === undefined ? undefined : { value: bytes(v) }
    },
    async put(key, value) {
      const d = load()
      d[key] = b64(value)
      save(d)
    },
    async delete(key) {
      const d = load()
      delete d[key]
      save(d)
    },
    async list(prefix) {
      return Object.entries(load())
        .filter(([k]) => k.startsWith(prefix))
        .map(([key, v]) => ({ key, value: bytes(v) }))
    },
  }
}
