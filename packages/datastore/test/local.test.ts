import t from 'tap'
import { localStore } from '../src/index.js'
import { compliance } from './compliance.js'
import { modelCheck } from './model.js'

for (const durability of ['sync', 'commit'] as const) {
  t.test(
    `local (lmdb) backend, durability '${durability}', passes the compliance suite`,
    async (t) => {
      const dir = t.testdir()
      let n = 0
      compliance(t, {
        name: `lmdb-${durability}`,
        open: async () => localStore({ path: `${dir}/db${n++}`, maxValueBytes: 4096, durability }),
      })
    },
  )
}

for (const durability of ['sync', 'commit'] as const) {
  t.test(`local store, durability '${durability}', matches a Map model`, async (t) => {
    const store = localStore({ path: `${t.testdir()}/db`, durability })
    t.teardown(() => store.close())
    await modelCheck(t, store, durability === 'sync' ? 25 : 100)
  })
}

t.test('a bad durability mode is refused', async (t) => {
  t.throws(() => localStore({ path: `${t.testdir()}/db`, durability: 'never' as 'sync' }), {
    category: 'bad-request',
    code: 'invalid-durability',
  })
})

for (const durability of ['sync', 'commit'] as const) {
  t.test(
    `two stores on the same files share data and keep versions unique (${durability})`,
    async (t) => {
      const path = `${t.testdir()}/db`
      const a = localStore({ path, durability })
      const b = localStore({ path, durability })
      t.teardown(async () => {
        await a.close()
        await b.close()
      })
      const va = await a.put('shared/k', new Uint8Array([1]))
      const kv = await b.get('shared/k')
      t.equal(kv?.version, va, 'b reads what a committed')
      const vb = await b.atomicPut('shared/k', new Uint8Array([2]), { previous: va })
      t.ok(vb > va)
      await t.rejects(a.atomicPut('shared/k', new Uint8Array([3]), { previous: va }), {
        code: 'stale-version',
      })
      const vc = await a.put('shared/k', new Uint8Array([4]))
      t.ok(vc > vb, "a writer that saw the other store's write picks a higher version")
    },
  )
}
