// The daemon's default IPAM: the global address space on the global store (shared by hosts),
// the local one per host.
import t from 'tap'
import { memoryStore } from '@libnetwork/datastore'
import { DefaultIpam, ulaPool } from '@libnetwork/ipam'
import { noopLogger } from '@libnetwork/types'
import { defaultIpam, defaultIpamFor } from '../src/ipam-wiring.js'

t.test('two hosts share the global space and keep their own local space', async (t) => {
  const global = memoryStore({ scope: 'global' })
  const a = defaultIpam({ logger: noopLogger, globalStore: global })
  const b = defaultIpam({ logger: noopLogger, globalStore: global })

  const pa = await a.requestPool({ addressSpace: 'global', pool: '10.80.0.0/24' })
  const taken = await b.requestPool({ addressSpace: 'global', pool: '10.80.0.0/24' }).then(
    () => undefined,
    (e: { code?: string }) => e.code,
  )
  t.equal(taken, 'pool-overlap', "B sees A's global pool")
  // Both allocate from A's pool at once: no address twice.
  const got = await Promise.all(
    Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).requestAddress(pa.poolId)),
  )
  const ips = got.map((x) => x!.ip.toString())
  t.equal(new Set(ips).size, 100, 'no duplicates')
  await b.releaseAddress(pa.poolId, ips[0]!)
  t.equal(
    (await a.requestAddress(pa.poolId))!.ip.toString(),
    ips[0],
    'a release on B frees it for A',
  )

  const la = await a.requestPool({ addressSpace: 'local', pool: '172.30.0.0/16' })
  const lb = await b.requestPool({ addressSpace: 'local', pool: '172.30.0.0/16' })
  t.equal(la.poolId, lb.poolId, 'the local space is per host: both have the pool')
  t.same(
    (await global.list('')).map((kv) => kv.key).filter((k) => k.includes('/local/')),
    [],
    'nothing of the local space in the global store',
  )
  await b.releasePool(pa.poolId)
  await a.requestPool({ addressSpace: 'global', pool: '10.80.0.0/24' })
  t.pass('a pool released on B can be requested on A')
})

t.test('without a global store it is the plain default IPAM', async (t) => {
  t.ok(defaultIpam({ logger: noopLogger }) instanceof DefaultIpam)
})

t.test('the local IPv6 default pool is derived from the daemon instance id', async (t) => {
  const a = defaultIpamFor('instance-a')({ logger: noopLogger })
  const b = defaultIpamFor('instance-b')({ logger: noopLogger })
  const pa = (await a.requestPool({ addressSpace: 'local', v6: true })).pool
  const pb = (await b.requestPool({ addressSpace: 'local', v6: true })).pool
  t.ok(ulaPool('instance-a').base.toString() !== ulaPool('instance-b').base.toString())
  t.equal(pa.toString(), ulaPool('instance-a').base.toString().replace('/48', '/64'))
  t.equal(pb.toString(), ulaPool('instance-b').base.toString().replace('/48', '/64'))
})
