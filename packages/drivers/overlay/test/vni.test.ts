// The VNI pool against the embedded (in-memory) store and without one: never one id twice.
import t from 'tap'
import { ConflictError } from '@libnetwork/types'
import { VNI_KEY, VniPool } from '../src/index.js'
import { memoryStore } from '@libnetwork/datastore'

t.test('without a store: ids from 4096 up, specific ones, conflicts, release', async (t) => {
  const p = new VniPool()
  t.same(await p.reserve(), [4096])
  t.same(await p.reserve(), [4097])
  t.same(await p.reserve([300, 301]), [300, 301])
  await t.rejects(p.reserve([302, 300]), ConflictError)
  t.same(await p.reserve([302]), [302], 'a refused reservation took nothing')
  await p.release([300])
  t.same(await p.reserve([300]), [300])
})

t.test('two pools on one store (two hosts) never hand out one id twice', async (t) => {
  const store = memoryStore()
  const a = new VniPool(store)
  const b = new VniPool(store)
  const got = await Promise.all([a.reserve(), b.reserve(), a.reserve(), b.reserve()])
  t.equal(new Set(got.flat()).size, 4)
  await t.rejects(b.reserve(got[0]), ConflictError)
  t.ok(await store.get(VNI_KEY), 'the set lives in the store')
  await a.release(got[0])
  t.same(await b.reserve(got[0]), got[0])
})
