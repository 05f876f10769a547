// Property test: any sequence of writes leaves a store equal to a plain Map model, with the
// same CAS outcomes and strictly growing versions.
import fc from 'fast-check'
import type { Test } from 'tap'
import { LibnetworkError } from '@libnetwork/types'
import type { KVStore } from '../src/index.js'

const KEYS = ['a', 'b', 'c/d', 'c/e'] as const
type Key = (typeof KEYS)[number]
type Op =
  | { op: 'put'; key: Key; val: number }
  | { op: 'cas'; key: Key; val: number; stale: boolean }
  | { op: 'del'; key: Key }
  | { op: 'cad'; key: Key; stale: boolean }
  | { op: 'batch'; puts: { key: Key; val: number }[]; dels: Key[] }

const key = fc.constantFrom(...KEYS)
const val = fc.integer({ min: 0, max: 255 })
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('put' as const), key, val }),
  fc.record({ op: fc.constant('cas' as const), key, val, stale: fc.boolean() }),
  fc.record({ op: fc.constant('del' as const), key }),
  fc.record({ op: fc.constant('cad' as const), key, stale: fc.boolean() }),
  // A batch names each key at most once (the contract refuses repeats).
  fc
    .uniqueArray(fc.record({ key, val, del: fc.boolean() }), {
      selector: (e) => e.key,
      maxLength: 4,
    })
    .map((es) => ({
      op: 'batch' as const,
      puts: es.filter((e) => !e.del).map(({ key, val }) => ({ key, val })),
      dels: es.filter((e) => e.del).map((e) => e.key),
    })),
)

const isStale = (err: unknown): boolean =>
  LibnetworkError.isInstance(err) && err.code === 'stale-version'

export async function modelCheck(t: Test, store: KVStore, numRuns: number): Promise<void> {
  let run = 0
  await fc.assert(
    fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 25 }), async (ops) => {
      const prefix = `model/${run++}/`
      const model = new Map<Key, { val: number; version: number }>()
      let last = 0
      const grew = (v: number): void => {
        if (!(v > last)) throw new Error(`version ${v} did not grow past ${last}`)
        last = v
      }
      for (const o of ops) {
        const k = o.op === 'batch' ? undefined : prefix + o.key
        const cur = o.op === 'batch' ? undefined : model.get(o.key)
        if (o.op === 'put') {
          const v = await store.put(k!, new Uint8Array([o.val]))
          grew(v)
          model.set(o.key, { val: o.val, version: v })
        } else if (o.op === 'cas') {
          // A stale CAS names a version the key does not have (or "absent" for a present key).
          const previous = o.stale ? (cur ? undefined : 1) : cur?.version
          try {
            const v = await store.atomicPut(k!, new Uint8Array([o.val]), { previous })
            if (o.stale) throw new Error('stale CAS succeeded')
            grew(v)
            model.set(o.key, { val: o.val, version: v })
          } catch (err) {
            if (!o.stale || !isStale(err)) throw err
          }
        } else if (o.op === 'del') {
          const existed = await store.delete(k!)
          if (existed !== model.has(o.key)) throw new Error(`delete(${k}) said ${existed}`)
          model.delete(o.key)
        } else if (o.op === 'cad') {
          const previous = o.stale || !cur ? (cur?.version ?? 0) + 1_000_000 : cur.version
          try {
            await store.atomicDelete(k!, { previous })
            if (o.stale || !cur) throw new Error('stale CAS delete succeeded')
            model.delete(o.key)
          } catch (err) {
            if ((!o.stale && cur) || !isStale(err)) throw err
          }
        } else {
          const batch = [
            ...o.puts.map((p) => ({
              type: 'put' as const,
              key: prefix + p.key,
              value: new Uint8Array([p.val]),
            })),
            ...o.dels.map((d) => ({ type: 'delete' as const, key: prefix + d })),
          ]
          const v = await store.batch(batch)
          if (o.puts.length === 0 && !o.dels.some((d) => model.has(d))) {
            // Nothing changes: etcd answers its current revision, lmdb may count one more.
            if (v < last) throw new Error(`no-op batch answered ${v}, below ${last}`)
            continue
          }
          grew(v)
          for (const p of o.puts) model.set(p.key, { val: p.val, version: v })
          for (const d of o.dels) model.delete(d)
        }
      }
      const got = (await store.list(prefix)).map((kv) => [kv.key, kv.value[0], kv.version])
      const want = [...model.entries()]
        .map(([k, e]) => [prefix + k, e.val, e.version])
        .sort((a, b) => (String(a[0]) < String(b[0]) ? -1 : 1))
      t.same(got, want, `${prefix}: store equals the model after ${ops.length} ops`)
    }),
    { numRuns, seed: 8 },
  )
}
