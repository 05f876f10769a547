import t from 'tap'
import { LibnetworkError } from '@libnetwork/types'
import { RecordStore, etcdStore, jsonCodec } from '../src/index.js'
import { freePort, startEtcd, type EtcdServer } from '../src/testing/index.js'
import { compliance } from './compliance.js'
import { modelCheck } from './model.js'

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)

let etcd: EtcdServer
t.before(async () => {
  etcd = await startEtcd()
})
t.teardown(async () => {
  await etcd?.stop()
})

t.test('etcd backend passes the compliance suite', async (t) => {
  let n = 0
  compliance(t, {
    name: 'etcd',
    // Each store gets its own namespace, so runs never see each other's keys.
    open: async () =>
      etcdStore({ endpoints: [etcd.endpoint], namespace: `suite${n++}/`, maxValueBytes: 4096 }),
  })
})

t.test('etcd store matches a Map model', async (t) => {
  const store = etcdStore({ endpoints: [etcd.endpoint], namespace: 'model/' })
  t.teardown(() => store.close())
  await modelCheck(t, store, 25)
})

t.test('namespaces isolate stores sharing one etcd', async (t) => {
  const a = etcdStore({ endpoints: [etcd.endpoint], namespace: 'ns-a/' })
  const b = etcdStore({ endpoints: [etcd.endpoint], namespace: 'ns-b/' })
  t.teardown(async () => {
    await a.close()
    await b.close()
  })
  await a.put('k', enc('a'))
  t.equal(await b.get('k'), undefined)
  t.same(
    (await a.list('')).map((kv) => kv.key),
    ['k'],
  )
})

t.test('leases: keys vanish on revoke and on expiry', async (t) => {
  const s = etcdStore({ endpoints: [etcd.endpoint], namespace: 'lease/' })
  t.teardown(() => s.close())
  const lease = await s.lease(5)
  await lease.put('alive/node1', enc('up'))
  t.ok(await s.get('alive/node1'))
  t.match(await lease.id(), /^\d+$/)
  const w = s.watch('alive/node1')
  await w.ready
  await lease.revoke()
  for await (const ev of w) {
    t.equal(ev.type, 'delete', 'the watch sees the liveness key go')
    break
  }
  t.equal(await s.get('alive/node1'), undefined)

  // Without keep-alive the key expires by itself (etcd's smallest useful TTL is about 2 s).
  const short = await s.lease(2, { keepAlive: false })
  await short.put('alive/node2', enc('up'))
  const w2 = s.watch('alive/node2')
  await w2.ready
  for await (const ev of w2) {
    t.equal(ev.type, 'delete', 'expired')
    break
  }
  t.equal(await s.get('alive/node2'), undefined)
  await t.rejects(s.lease(0), { code: 'invalid-ttl' })

  // Closing a store revokes its leases: the liveness key goes at once.
  const owner = etcdStore({ endpoints: [etcd.endpoint], namespace: 'lease/' })
  await (await owner.lease(30)).put('alive/node3', enc('up'))
  t.ok(await s.get('alive/node3'))
  await owner.close()
  t.equal(await s.get('alive/node3'), undefined, 'revoked on close')
})

t.test('batches over etcd max-txn-ops are refused as bad requests', async (t) => {
  const s = etcdStore({ endpoints: [etcd.endpoint], namespace: 'bigbatch/' })
  t.teardown(() => s.close())
  const ops = Array.from({ length: 200 }, (_, i) => ({
    type: 'put' as const,
    key: `k${i}`,
    value: enc('v'),
  }))
  await t.rejects(s.batch(ops), { category: 'bad-request', code: 'batch-too-large' })
  t.same(await s.list(''), [], 'nothing written')
})

t.test('an unreachable etcd gives UnavailableError, not a hang', async (t) => {
  const port = await freePort() // nothing listens here
  const s = etcdStore({ endpoints: [`http://127.0.0.1:${port}`], requestTimeoutMs: 1000 })
  t.teardown(() => s.close())
  const started = Date.now()
  for (const op of [
    () => s.get('k'),
    () => s.put('k', enc('v')),
    () => s.atomicPut('k', enc('v'), {}),
  ]) {
    try {
      await op()
      t.fail('should not succeed')
    } catch (err) {
      t.ok(LibnetworkError.isInstance(err))
      t.equal((err as LibnetworkError).category, 'unavailable')
      t.equal((err as LibnetworkError).code, 'etcd-unavailable')
    }
  }
  const w = s.watch('k')
  await t.rejects(w.ready, { code: 'etcd-unavailable' })
  const records = new RecordStore(s, { prefix: 'r/', codec: jsonCodec<number>() })
  await t.rejects(records.start(), { code: 'etcd-unavailable' })
  t.notOk(records.cached, 'no cache without a watch')
  await t.rejects(records.start(), { code: 'etcd-unavailable' }, 'a failed start can be retried')
  // Bounded: three calls and a watch at 1 s each, with generous slack for a loaded machine.
  t.ok(Date.now() - started < 15_000, 'returned within a bounded time')
})
