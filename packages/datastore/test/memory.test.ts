import t from 'tap'
import { MemoryStore, memoryStore } from '../src/index.js'
import { compliance } from './compliance.js'
import { modelCheck } from './model.js'

t.test('memory backend passes the compliance suite', async (t) => {
  compliance(t, { name: 'memory', open: async () => memoryStore({ maxValueBytes: 4096 }) })
})

t.test('memory store matches a Map model', async (t) => {
  const store = memoryStore()
  t.teardown(() => store.close())
  await modelCheck(t, store, 100)
})

t.test('scope, backend and copies', async (t) => {
  const store = new MemoryStore({ scope: 'global' })
  t.equal(store.scope, 'global')
  t.equal(store.backend, 'memory')
  t.equal(memoryStore().scope, 'local')
  const value = new Uint8Array([1, 2])
  await store.put('k', value)
  value[0] = 9
  const got = await store.get('k')
  t.same(got?.value, new Uint8Array([1, 2]), 'the stored value is a copy of what was written')
  got!.value[1] = 9
  t.same((await store.get('k'))?.value, new Uint8Array([1, 2]), 'reads return copies')
})
