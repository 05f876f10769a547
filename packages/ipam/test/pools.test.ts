import t from 'tap'
import { IPNet } from '@libnetwork/types'
import { DefaultIpam, ulaPool } from '../src/index.js'
import { rejection } from './fixtures/util.js'

t.test('local default pools in upstream order, then exhaustion', async (t) => {
  const ipam = new DefaultIpam()
  const got: string[] = []
  for (let i = 0; i < 31; i++) got.push((await ipam.requestPool({})).pool.toString())
  const want = [
    ...Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`),
    ...Array.from({ length: 16 }, (_, i) => `192.168.${i * 16}.0/20`),
  ]
  t.same(got, want)
  const err = await rejection(ipam.requestPool({}))
  t.equal(err.code, 'no-available-pool')
  t.equal(err.category, 'unavailable')
  await ipam.releasePool('local/172.20.0.0/16')
  t.equal(
    (await ipam.requestPool({})).pool.toString(),
    '172.20.0.0/16',
    'a released pool is reused',
  )
})

t.test('global default pools are 10/8 as /24s; spaces are separate', async (t) => {
  const ipam = new DefaultIpam()
  const a = await ipam.requestPool({ addressSpace: 'global' })
  const b = await ipam.requestPool({ addressSpace: 'global' })
  t.equal(a.poolId, 'global/10.0.0.0/24')
  t.equal(b.pool.toString(), '10.0.1.0/24')
  const l = await ipam.requestPool({ addressSpace: 'local', pool: IPNet.parse('10.0.0.0/24') })
  t.equal(l.poolId, 'local/10.0.0.0/24', 'the same network in another space does not overlap')
  t.same(await ipam.getDefaultAddressSpaces(), { local: 'local', global: 'global' })
  t.same(ipam.capabilities(), { requiresMACAddress: false, requiresRequestReplay: false })
})

t.test('predefined pools skip explicit pools that overlap them', async (t) => {
  const ipam = new DefaultIpam()
  await ipam.requestPool({ pool: '172.17.5.0/24' })
  await ipam.requestPool({ pool: '172.16.0.0/12', addressSpace: 'global' })
  t.equal((await ipam.requestPool({})).pool.toString(), '172.18.0.0/16')
})

t.test('default pools are overridable, IPv6 included', async (t) => {
  const ipam = new DefaultIpam({
    defaultPools: {
      local: [
        { base: '10.99.0.0/23', size: 24 },
        { base: IPNet.parse('fd00:aa::/48'), size: 64 },
      ],
    },
  })
  t.equal((await ipam.requestPool({})).pool.toString(), '10.99.0.0/24')
  t.equal((await ipam.requestPool({})).pool.toString(), '10.99.1.0/24')
  t.equal((await rejection(ipam.requestPool({}))).code, 'no-available-pool')
  t.equal((await ipam.requestPool({ v6: true })).pool.toString(), 'fd00:aa::/64')
  t.equal((await ipam.requestPool({ v6: true })).pool.toString(), 'fd00:aa:0:1::/64')
  t.equal(
    (await ipam.requestPool({ addressSpace: 'global' })).pool.toString(),
    '10.0.0.0/24',
    'global keeps its defaults',
  )
  t.equal(
    (await rejection(ipam.requestPool({ v6: true, addressSpace: 'global' }))).code,
    'no-available-pool',
    'no IPv6 defaults in the global space, as upstream',
  )
})

t.test('the local space has a ULA IPv6 default pool derived from the host id', async (t) => {
  // Upstream's own vectors (Moby's TestDeriveULABaseNetwork).
  t.equal(ulaPool('').base.toString(), 'fd42:98fc:1c14::/48')
  t.equal(ulaPool('499d4bc0-b0b3-416f-b1ee-cf6486315593').base.toString(), 'fd62:fb69:18af::/48')
  t.equal(ulaPool('x').size, 64)
  const plain = new DefaultIpam()
  const a = await plain.requestPool({ v6: true })
  t.equal(a.pool.toString(), 'fd42:98fc:1c14::/64', 'the empty host id by default')
  t.equal((await plain.requestPool({ v6: true })).pool.toString(), 'fd42:98fc:1c14:1::/64')
  t.equal((await plain.requestPool({})).pool.toString(), '172.17.0.0/16', 'IPv4 unchanged')
  await plain.releasePool(a.poolId)
  const host = new DefaultIpam({ hostId: '499d4bc0-b0b3-416f-b1ee-cf6486315593' })
  t.equal((await host.requestPool({ v6: true })).pool.toString(), 'fd62:fb69:18af::/64')
  const v4only = new DefaultIpam({
    hostId: '499d4bc0-b0b3-416f-b1ee-cf6486315593',
    defaultPools: { local: [{ base: '10.99.0.0/16', size: 24 }] },
  })
  t.equal(
    (await v4only.requestPool({ v6: true })).pool.toString(),
    'fd62:fb69:18af::/64',
    'added to configured pools that have no IPv6 one',
  )
  const mapped = new DefaultIpam({
    defaultPools: { local: [{ base: '::ffff:10.0.0.0/120', size: 124 }] },
  })
  t.equal(
    (await mapped.requestPool({ v6: true })).pool.toString(),
    '::ffff:a00:0/124',
    'an IPv4-mapped base does not count as IPv6, the ULA pool comes after it',
  )
})

t.test('bad default pool lists are rejected at construction', async (t) => {
  for (const local of [
    [{ base: '10.0.0.0/33', size: 24 }],
    [{ base: '10.0.0.1/8', size: 24 }],
    [{ base: '10.0.0.0/16', size: 8 }],
    [{ base: '10.0.0.0/16', size: 40 }],
    'nope',
  ]) {
    let code = ''
    try {
      new DefaultIpam({ defaultPools: { local: local as never } })
    } catch (err) {
      code = (err as { code: string }).code
    }
    t.equal(code, 'invalid-pool', JSON.stringify(local))
  }
})

t.test('a released predefined pool is not handed out again at once (as upstream)', async (t) => {
  const ipam = new DefaultIpam()
  const three = []
  for (let i = 0; i < 3; i++) three.push(await ipam.requestPool({}))
  t.same(
    three.map((p) => p.pool.toString()),
    ['172.17.0.0/16', '172.18.0.0/16', '172.19.0.0/16'],
  )
  await ipam.releasePool(three[0]!.poolId)
  t.equal(
    (await ipam.requestPool({})).pool.toString(),
    '172.20.0.0/16',
    'the next unused pool, after the last one handed out',
  )
  await ipam.requestPool({ pool: '172.22.0.0/16' })
  t.equal(
    (await ipam.requestPool({})).pool.toString(),
    '172.21.0.0/16',
    'explicit pools do not move the search',
  )
  t.equal((await ipam.requestPool({})).pool.toString(), '172.23.0.0/16', 'and are skipped')
  const v6 = new DefaultIpam({ defaultPools: { local: [{ base: 'fd10::/60', size: 62 }] } })
  const a = await v6.requestPool({ v6: true })
  const b = await v6.requestPool({ v6: true })
  await v6.releasePool(a.poolId)
  t.equal((await v6.requestPool({ v6: true })).pool.toString(), 'fd10:0:0:8::/62')
  t.equal((await v6.requestPool({ v6: true })).pool.toString(), 'fd10:0:0:c::/62')
  t.equal(
    (await v6.requestPool({ v6: true })).pool.toString(),
    'fd10::/62',
    'after the last pool of the list the search starts again from the first',
  )
  t.equal((await rejection(v6.requestPool({ v6: true }))).code, 'no-available-pool')
  await v6.releasePool(b.poolId)
  t.equal((await v6.requestPool({ v6: true })).pool.toString(), b.pool.toString())
})
