import t from 'tap'
import { IP, InterfaceAddress } from '@libnetwork/types'
import { DefaultIpam, NullIpam, SERIAL_OPTION } from '../src/index.js'
import { rejection } from './fixtures/util.js'

t.test('IPv4: network and broadcast reserved, gateway first, then in order', async (t) => {
  const ipam = new DefaultIpam()
  const { poolId } = await ipam.requestPool({ pool: '192.168.50.0/29' })
  const gw = await ipam.requestAddress(poolId)
  t.ok(gw instanceof InterfaceAddress)
  t.equal(gw.toString(), '192.168.50.1/29')
  const rest: string[] = []
  for (let i = 0; i < 5; i++) rest.push((await ipam.requestAddress(poolId)).ip.toString())
  t.same(
    rest,
    ['.2', '.3', '.4', '.5', '.6'].map((x) => `192.168.50${x}`),
  )
  const full = await rejection(ipam.requestAddress(poolId))
  t.equal(full.code, 'no-available-address')
  t.equal(full.category, 'unavailable')
  await ipam.releaseAddress(poolId, IP.parse('192.168.50.3'))
  t.equal((await ipam.requestAddress(poolId)).ip.toString(), '192.168.50.3')
  for (const reserved of ['192.168.50.0', '192.168.50.7']) {
    t.equal(
      (await rejection(ipam.requestAddress(poolId, { preferred: reserved }))).code,
      'address-in-use',
    )
    t.equal((await rejection(ipam.releaseAddress(poolId, reserved))).code, 'reserved-address')
  }
})

t.test('IPv4 /31 and /32 have no network or broadcast address', async (t) => {
  const ipam = new DefaultIpam()
  const p31 = await ipam.requestPool({ pool: '10.1.1.0/31' })
  t.equal((await ipam.requestAddress(p31.poolId)).ip.toString(), '10.1.1.0')
  t.equal((await ipam.requestAddress(p31.poolId)).ip.toString(), '10.1.1.1')
  const p32 = await ipam.requestPool({ pool: '10.1.2.7/32' })
  t.equal((await ipam.requestAddress(p32.poolId)).toString(), '10.1.2.7/32')
  t.equal((await rejection(ipam.requestAddress(p32.poolId))).code, 'no-available-address')
})

t.test('preferred addresses: gateway and auxiliary addresses', async (t) => {
  const ipam = new DefaultIpam()
  const { poolId } = await ipam.requestPool({ pool: '172.30.0.0/24', subPool: '172.30.0.128/25' })
  t.equal(poolId, 'local/172.30.0.0/24/172.30.0.128/25')
  const gw = await ipam.requestAddress(poolId, { preferred: IP.parse('172.30.0.1') })
  t.equal(gw.toString(), '172.30.0.1/24', 'the gateway may lie outside the sub-pool')
  await ipam.requestAddress(poolId, IP.parse('172.30.0.2')) // positional form, an aux address
  await ipam.requestAddress(poolId, '172.30.0.129', { serial: true })
  t.equal(
    (await ipam.requestAddress(poolId)).ip.toString(),
    '172.30.0.128',
    'sub-pool start is usable',
  )
  t.equal((await ipam.requestAddress(poolId)).ip.toString(), '172.30.0.130')
})

t.test('sub-pools share the pool, addresses stay in their range', async (t) => {
  const ipam = new DefaultIpam()
  const a = await ipam.requestPool({ pool: '10.5.0.0/16', subPool: '10.5.1.0/30' })
  const b = await ipam.requestPool({ pool: '10.5.0.0/16', subPool: '10.5.2.0/24' })
  const got: string[] = []
  for (let i = 0; i < 4; i++) got.push((await ipam.requestAddress(a.poolId)).ip.toString())
  t.same(got, ['10.5.1.0', '10.5.1.1', '10.5.1.2', '10.5.1.3'])
  t.equal((await rejection(ipam.requestAddress(a.poolId))).code, 'no-available-address')
  t.equal((await ipam.requestAddress(b.poolId)).ip.toString(), '10.5.2.0')
  // the same address through the other sub-pool id is taken: one bitmap per pool
  t.equal(
    (await rejection(ipam.requestAddress(b.poolId, { preferred: '10.5.1.1' }))).code,
    'address-in-use',
  )
  t.equal((await rejection(ipam.requestPool({ pool: '10.5.0.0/16' }))).code, 'pool-overlap')
  await ipam.releasePool(a.poolId)
  t.equal(
    (await ipam.requestAddress(b.poolId)).ip.toString(),
    '10.5.2.1',
    'pool lives while a sub-pool does',
  )
  await ipam.releasePool(b.poolId)
  const again = await ipam.requestPool({ pool: '10.5.0.0/16' })
  t.equal(
    (await ipam.requestAddress(again.poolId)).ip.toString(),
    '10.5.0.1',
    'a re-created pool starts fresh',
  )
})

t.test('serial allocation continues after the last address', async (t) => {
  const ipam = new DefaultIpam()
  const { poolId } = await ipam.requestPool({ pool: '10.7.0.0/28' })
  const a = await ipam.requestAddress(poolId, { serial: true })
  const b = await ipam.requestAddress(poolId, { serial: true })
  await ipam.releaseAddress(poolId, a.ip)
  t.equal(
    (await ipam.requestAddress(poolId, { options: { [SERIAL_OPTION]: 'true' } })).ip.toString(),
    '10.7.0.3',
  )
  t.equal(b.ip.toString(), '10.7.0.2')
  t.equal(
    (await ipam.requestAddress(poolId)).ip.toString(),
    '10.7.0.1',
    'non-serial takes the lowest',
  )
})

t.test('IPv6 /64: 2^64 addresses, handled lazily', async (t) => {
  const ipam = new DefaultIpam()
  const { poolId, pool } = await ipam.requestPool({ pool: 'fd00:1::/64', v6: true })
  t.equal(pool.size, 1n << 64n)
  t.equal(
    (await ipam.requestAddress(poolId)).toString(),
    'fd00:1::1/64',
    'the subnet-router address is reserved',
  )
  const high = IP.parse('fd00:1::ffff:ffff:ffff:fffe')
  t.equal((await ipam.requestAddress(poolId, { preferred: high })).ip.toString(), high.toString())
  t.equal(
    (await ipam.requestAddress(poolId, { preferred: 'fd00:1::ffff:ffff:ffff:ffff' })).ip.toString(),
    'fd00:1::ffff:ffff:ffff:ffff',
    'no broadcast in IPv6',
  )
  t.equal(
    (await rejection(ipam.requestAddress(poolId, { preferred: high }))).code,
    'address-in-use',
  )
  await ipam.releaseAddress(poolId, high)
  await ipam.requestAddress(poolId, { preferred: high })
  t.equal((await ipam.requestAddress(poolId)).ip.toString(), 'fd00:1::2')
  const sub = await ipam.requestPool({
    pool: 'fd00:2::/48',
    subPool: 'fd00:2:0:0:1::/80',
    v6: true,
  })
  t.equal((await ipam.requestAddress(sub.poolId)).ip.toString(), 'fd00:2:0:0:1::')
  t.equal(
    (await ipam.requestAddress(sub.poolId, { preferred: 'fd00:2:0:ffff::1' })).ip.toString(),
    'fd00:2:0:ffff::1',
    'a preferred address anywhere in a pool larger than 2^64 addresses',
  )
})

t.test('IPv6 sub-pool past the first 2^64 addresses of its pool', async (t) => {
  const ipam = new DefaultIpam()
  const sub = await ipam.requestPool({ pool: 'fd00:2::/48', subPool: 'fd00:2:0:1::/64' })
  const a = await ipam.requestAddress(sub.poolId)
  t.equal(
    a.toString(),
    'fd00:2:0:1::/48',
    'the first address of the sub-pool, with the pool prefix',
  )
  t.equal((await ipam.requestAddress(sub.poolId)).ip.toString(), 'fd00:2:0:1::1')
  const p = await ipam.requestAddress(sub.poolId, { preferred: 'fd00:2:0:1::99' })
  t.equal(p.ip.toString(), 'fd00:2:0:1::99', 'a preferred address inside the sub-pool')
  t.equal(
    (await rejection(ipam.requestAddress(sub.poolId, { preferred: 'fd00:2:0:1::99' }))).code,
    'address-in-use',
  )
  await ipam.releaseAddress(sub.poolId, a.ip)
  t.equal((await ipam.requestAddress(sub.poolId)).ip.toString(), 'fd00:2:0:1::')
  const last = await ipam.requestPool({
    pool: 'fd00:3::/32',
    subPool: 'fd00:3:ffff:ffff::/64',
  })
  t.equal(
    (await ipam.requestAddress(last.poolId)).ip.toString(),
    'fd00:3:ffff:ffff::',
    'the last /64 of a /32 (2^96 addresses)',
  )
  const tiny = await ipam.requestPool({ pool: 'fd00:4::/48', subPool: 'fd00:4:0:9::/127' })
  await ipam.requestAddress(tiny.poolId)
  await ipam.requestAddress(tiny.poolId)
  t.equal((await rejection(ipam.requestAddress(tiny.poolId))).code, 'no-available-address')
})

t.test('IPv6 sub-pool crossing a 2^32 segment boundary', async (t) => {
  const ipam = new DefaultIpam()
  const { poolId } = await ipam.requestPool({
    pool: 'fd00:3::/64',
    subPool: 'fd00:3::ffff:fffe/127',
    v6: true,
  })
  const a = await ipam.requestAddress(poolId, { preferred: 'fd00:3::1:0:0' })
  t.equal(a.ip.toString(), 'fd00:3::1:0:0')
  t.equal((await ipam.requestAddress(poolId)).ip.toString(), 'fd00:3::ffff:fffe')
  t.equal((await ipam.requestAddress(poolId)).ip.toString(), 'fd00:3::ffff:ffff')
  t.equal((await rejection(ipam.requestAddress(poolId))).code, 'no-available-address')
})

t.test('null IPAM: one pseudo pool, no addresses', async (t) => {
  const ipam = new NullIpam()
  t.equal(ipam.type, 'null')
  const p = await ipam.requestPool({})
  t.equal(p.poolId, 'null/0.0.0.0/0')
  t.equal(p.pool.toString(), '0.0.0.0/0')
  t.equal(NullIpam.poolId, p.poolId)
  t.equal((await ipam.requestPool({ addressSpace: 'null', pool: '0.0.0.0/0' })).poolId, p.poolId)
  t.equal(await ipam.requestAddress(p.poolId), undefined)
  await ipam.releaseAddress(p.poolId, '10.0.0.1')
  await ipam.releasePool(p.poolId)
  t.same(await ipam.getDefaultAddressSpaces(), { local: 'null', global: 'null' })
  t.same(ipam.capabilities(), { requiresMACAddress: false, requiresRequestReplay: false })
  t.equal(
    (await rejection(ipam.requestPool({ addressSpace: 'local' }))).code,
    'invalid-address-space',
  )
  t.equal((await rejection(ipam.requestPool({ pool: '10.0.0.0/8' }))).code, 'invalid-pool')
  t.equal((await rejection(ipam.requestPool({ v6: true }))).code, 'invalid-pool')
  t.equal(
    (await rejection(ipam.requestPool({ pool: '0.0.0.0/0', subPool: '10.0.0.0/8' }))).code,
    'invalid-sub-pool',
  )
})
