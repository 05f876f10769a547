import t from 'tap'
import { RetryError, UnavailableError } from '@libnetwork/types'
import { DefaultIpam } from '../src/index.js'
import type { IpamStore } from '../src/index.js'
import { AddressSet } from '../src/address-set.js'
import { MemoryStore, jitter } from './fixtures/memory-store.js'
import { rejection } from './fixtures/util.js'

t.test('two allocators sharing a store never hand out the same address', async (t) => {
  const store = new MemoryStore(jitter(7))
  const a = new DefaultIpam({ store })
  const b = new DefaultIpam({ store })
  const { poolId } = await a.requestPool({ pool: '10.60.0.0/24' })
  const results = await Promise.allSettled(
    Array.from({ length: 300 }, (_, i) => (i % 2 ? a : b).requestAddress(poolId)),
  )
  const got = results.filter((r) => r.status === 'fulfilled').map((r) => r.value.ip.toString())
  const failed = results
    .filter((r) => r.status === 'rejected')
    .map((r) => (r.reason as { code: string }).code)
  t.equal(got.length, 254, 'every usable address of the /24, once')
  t.equal(new Set(got).size, 254, 'no duplicates')
  t.same([...new Set(failed)], ['no-available-address'])
  t.equal(failed.length, 46)
  t.ok(
    store.conflicts > 0,
    `compare-and-swap conflicts happened and were retried (${store.conflicts})`,
  )
})

t.test('concurrent pool requests from two allocators get distinct pools', async (t) => {
  const store = new MemoryStore(jitter(11))
  const a = new DefaultIpam({ store })
  const b = new DefaultIpam({ store })
  const pools = await Promise.all(
    Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).requestPool({ addressSpace: 'global' })),
  )
  const nets = pools.map((p) => p.pool.toString())
  t.equal(new Set(nets).size, 20)
  t.same([...nets].sort(), Array.from({ length: 20 }, (_, i) => `10.0.${i}.0/24`).sort())
  const same = await Promise.allSettled([
    a.requestPool({ pool: '192.168.77.0/24' }),
    b.requestPool({ pool: '192.168.77.0/24' }),
  ])
  t.equal(same.filter((r) => r.status === 'fulfilled').length, 1, 'one wins the same explicit pool')
  const lost = same.find((r) => r.status === 'rejected')
  t.equal((lost?.reason as { code: string }).code, 'pool-overlap')
})

t.test('state is shared: releases, pools, and fresh generations', async (t) => {
  const store = new MemoryStore()
  const a = new DefaultIpam({ store })
  const b = new DefaultIpam({ store })
  const { poolId } = await a.requestPool({ pool: 'fd00:9::/64', v6: true })
  const x = await a.requestAddress(poolId)
  t.equal(x.toString(), 'fd00:9::1/64')
  t.equal((await b.requestAddress(poolId)).ip.toString(), 'fd00:9::2')
  await b.releaseAddress(poolId, x.ip)
  t.equal((await rejection(a.releaseAddress(poolId, x.ip))).code, 'address-not-allocated')
  t.equal((await a.requestAddress(poolId)).ip.toString(), 'fd00:9::1')
  const keys = [...store.data.keys()].sort()
  t.equal(keys.length, 2)
  t.match(keys[0], /^ipam\/v1\/local\/addresses\/fd00:9::_64\/\w+$/)
  t.equal(keys[1], 'ipam/v1/local/pools')
  await b.releasePool(poolId)
  t.same(
    [...store.data.keys()],
    ['ipam/v1/local/pools'],
    'the address set is deleted with its pool',
  )
  t.equal((await rejection(a.requestAddress(poolId))).code, 'pool-not-found')
  const again = await a.requestPool({ pool: 'fd00:9::/64', v6: true })
  t.equal(
    (await b.requestAddress(again.poolId)).ip.toString(),
    'fd00:9::1',
    'a new pool starts fresh',
  )
  const c = new DefaultIpam({ store, storePrefix: 'other' })
  t.equal(
    (await c.requestPool({ pool: 'fd00:9::/64', v6: true })).poolId,
    again.poolId,
    'prefixes are separate',
  )
})

t.test('store failures: retries run out, errors propagate, corrupt data is rejected', async (t) => {
  const stale: IpamStore = {
    get: async () => undefined,
    atomicPut: async () => {
      throw new RetryError('stale-version', 'stale')
    },
    atomicDelete: async () => {},
  }
  const err = await rejection(new DefaultIpam({ store: stale, maxAttempts: 5 }).requestPool({}))
  t.equal(err.code, 'too-many-retries')
  t.equal(err.category, 'retry')
  const down: IpamStore = {
    get: async () => {
      throw new UnavailableError('store-down', 'store is down')
    },
    atomicPut: async () => 1,
    atomicDelete: async () => {},
  }
  t.equal((await rejection(new DefaultIpam({ store: down }).requestPool({}))).code, 'store-down')
  const store = new MemoryStore()
  const ipam = new DefaultIpam({ store })
  const { poolId } = await ipam.requestPool({ pool: '10.61.0.0/24' })
  await ipam.requestAddress(poolId)
  const setKey = [...store.data.keys()].find((k) => k.includes('/addresses/'))!
  store.data.set(setKey, { value: new Uint8Array([1, 2, 3]), version: 999 })
  t.equal((await rejection(ipam.requestAddress(poolId))).code, 'invalid-address-set')
  store.data.set('ipam/v1/local/pools', { value: new TextEncoder().encode('{nope'), version: 1000 })
  t.equal((await rejection(ipam.requestPool({}))).code, 'invalid-space-state')
})

for (const backend of ['memory', 'store'] as const) {
  t.test(`an aborted signal rejects and changes nothing (${backend})`, async (t) => {
    const ipam = new DefaultIpam(backend === 'store' ? { store: new MemoryStore() } : {})
    const signal = AbortSignal.abort()
    await t.rejects(ipam.requestPool({ signal }), { name: 'AbortError' })
    const { poolId } = await ipam.requestPool({})
    t.equal(poolId, 'local/172.17.0.0/16', 'the aborted pool request took no pool')
    await t.rejects(ipam.requestAddress(poolId, { signal }), { name: 'AbortError' })
    await t.rejects(ipam.requestAddress(poolId, { signal, preferred: '172.17.0.9' }), {
      name: 'AbortError',
    })
    t.equal((await ipam.requestAddress(poolId)).ip.toString(), '172.17.0.1', 'nothing was taken')
    await ipam.requestAddress(poolId, { preferred: '172.17.0.9' })
    await t.rejects(ipam.releaseAddress(poolId, '172.17.0.1', { signal }), { name: 'AbortError' })
    await t.rejects(ipam.releasePool(poolId, { signal }), { name: 'AbortError' })
    t.equal(
      (await rejection(ipam.requestAddress(poolId, { preferred: '172.17.0.1' }))).code,
      'address-in-use',
      'the aborted release freed nothing',
    )
    t.equal(
      (await ipam.requestAddress(poolId)).ip.toString(),
      '172.17.0.2',
      'the pool is still there',
    )
  })
}

t.test(
  'a caller aborted while queued behind others leaves at once, with nothing taken',
  async (t) => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    const store = new MemoryStore(() => gate)
    const ipam = new DefaultIpam({ store })
    const pool = ipam.requestPool({ pool: '10.62.0.0/24' })
    const ac = new AbortController()
    const queued = ipam.requestPool({ pool: '10.63.0.0/24', signal: ac.signal })
    ac.abort()
    await t.rejects(queued, { name: 'AbortError' }, 'rejected while the first call still waits')
    release()
    await pool
    t.equal(
      (await ipam.requestPool({ pool: '10.63.0.0/24' })).poolId,
      'local/10.63.0.0/24',
      'the aborted request took nothing',
    )
  },
)

t.test('IPv6 address sets spread over many 2^32 segments survive the store', async (t) => {
  const store = new MemoryStore()
  const a = new DefaultIpam({ store })
  const b = new DefaultIpam({ store })
  const { poolId } = await a.requestPool({ pool: 'fd00:5::/64', v6: true })
  const spots = ['fd00:5::5:0:7', 'fd00:5::ffff:ffff:ffff:ffff', 'fd00:5::1:0:0:0', 'fd00:5::9']
  for (const ip of spots) await a.requestAddress(poolId, { preferred: ip })
  for (const ip of spots) {
    t.equal(
      (await rejection(b.requestAddress(poolId, { preferred: ip }))).code,
      'address-in-use',
      ip,
    )
  }
  await b.releaseAddress(poolId, 'fd00:5::5:0:7')
  t.equal(
    (await a.requestAddress(poolId, { preferred: 'fd00:5::5:0:7' })).ip.toString(),
    'fd00:5::5:0:7',
  )
  t.equal((await b.requestAddress(poolId)).ip.toString(), 'fd00:5::1')
  const key = [...store.data.keys()].find((k) => k.includes('/addresses/'))!
  t.ok(store.data.get(key)!.value.length < 200, 'four segments stay a few bytes each')
})

t.test('an address set stored capped at 2^64 (earlier versions) grows to its pool', async (t) => {
  const store = new MemoryStore()
  const ipam = new DefaultIpam({ store })
  const { poolId } = await ipam.requestPool({ pool: 'fd00:7::/48' })
  t.equal((await ipam.requestAddress(poolId)).ip.toString(), 'fd00:7::1')
  const key = [...store.data.keys()].find((k) => k.includes('/addresses/'))!
  // What the earlier version wrote for this pool: 2^64 offsets, 0 (reserved) and 1 taken.
  const old = new AddressSet(1n << 64n)
  old.add(0n)
  old.add(1n)
  store.data.set(key, { value: old.encode(), version: store.data.get(key)!.version })
  t.equal((await ipam.requestAddress(poolId)).ip.toString(), 'fd00:7::2', 'kept what was taken')
  const far = 'fd00:7:0:5::1'
  t.equal((await ipam.requestAddress(poolId, { preferred: far })).ip.toString(), far)
  t.equal(
    (await rejection(ipam.requestAddress(poolId, { preferred: 'fd00:7::1' }))).code,
    'address-in-use',
  )
})
