import t from 'tap'
import { IP, IPNet } from '@libnetwork/types'
import { DefaultIpam } from '../src/index.js'
import { rejection } from './fixtures/util.js'

/** A pool with a few addresses taken, and a probe of its observable state. */
async function setup() {
  const ipam = new DefaultIpam()
  const main = await ipam.requestPool({ pool: '10.20.0.0/24' })
  await ipam.requestAddress(main.poolId) // .1
  await ipam.requestAddress(main.poolId) // .2
  const probe = async () => {
    // the next pool and the next address show whether anything changed; then undo them
    const p = await ipam.requestPool({})
    const a = await ipam.requestAddress(main.poolId)
    await ipam.releaseAddress(main.poolId, a.ip)
    await ipam.releasePool(p.poolId)
    return `${p.pool.toString()} ${a.toString()}`
  }
  return { ipam, main, probe }
}

/**
 * What the second probe shows when nothing changed in between: the first probe's pool was
 * released, and the next predefined pool is searched after it (upstream's round robin).
 */
const unchanged = (first: string) => first.replace('172.17.0.0/16', '172.18.0.0/16')

t.test('requestPool bad input: typed errors, state unchanged', async (t) => {
  const { ipam, probe } = await setup()
  const before = await probe()
  t.equal(before, '172.17.0.0/16 10.20.0.3/24')
  const cases: Array<[string, Parameters<DefaultIpam['requestPool']>[0], string, string]> = [
    ['invalid CIDR', { pool: '10.0.0.0/33' }, 'invalid-pool', 'bad-request'],
    ['not a CIDR', { pool: 'banana' }, 'invalid-pool', 'bad-request'],
    ['host bits set', { pool: '10.0.0.1/24' }, 'invalid-pool', 'bad-request'],
    ['same pool', { pool: '10.20.0.0/24' }, 'pool-overlap', 'conflict'],
    ['inside a pool', { pool: '10.20.0.128/25' }, 'pool-overlap', 'conflict'],
    ['around a pool', { pool: '10.0.0.0/8' }, 'pool-overlap', 'conflict'],
    [
      'sub-pool outside',
      { pool: '10.30.0.0/24', subPool: '10.31.0.0/25' },
      'invalid-sub-pool',
      'bad-request',
    ],
    [
      'sub-pool larger',
      { pool: '10.30.0.0/24', subPool: '10.30.0.0/23' },
      'invalid-sub-pool',
      'bad-request',
    ],
    [
      'sub-pool family',
      { pool: '10.30.0.0/24', subPool: 'fd00::/120' },
      'invalid-sub-pool',
      'bad-request',
    ],
    ['sub-pool without pool', { subPool: '10.30.0.0/25' }, 'invalid-sub-pool', 'bad-request'],
    [
      'invalid sub-pool CIDR',
      { pool: '10.30.0.0/24', subPool: '10.30.0.0/' },
      'invalid-sub-pool',
      'bad-request',
    ],
    ['v6 flag on v4 pool', { pool: '10.30.0.0/24', v6: true }, 'invalid-pool', 'bad-request'],
    ['v4 flag on v6 pool', { pool: 'fd00::/64', v6: false }, 'invalid-pool', 'bad-request'],
    ['unknown space', { addressSpace: 'mars' }, 'invalid-address-space', 'bad-request'],
    [
      'overlap with sub-pool parent',
      { pool: '10.20.0.0/23', subPool: '10.20.1.0/24' },
      'pool-overlap',
      'conflict',
    ],
  ]
  for (const [what, req, code, category] of cases) {
    const err = await rejection(ipam.requestPool(req))
    t.equal(err.code, code, what)
    t.equal(err.category, category, what)
    t.ok(err.message.length > 10, `${what}: ${err.message}`)
  }
  const dup = await ipam.requestPool({ pool: '10.40.0.0/24', subPool: '10.40.0.0/25' })
  const err = await rejection(ipam.requestPool({ pool: '10.40.0.0/24', subPool: '10.40.0.0/25' }))
  t.equal(err.code, 'pool-overlap', 'the same sub-pool twice')
  await ipam.releasePool(dup.poolId)
  t.equal(await probe(), unchanged(before))
  const ov = await rejection(ipam.requestPool({ pool: IPNet.parse('10.20.0.0/16') }))
  t.same(ov.details, { addressSpace: 'local', pool: '10.20.0.0/16', existing: '10.20.0.0/24' })
})

t.test('requestAddress / releaseAddress bad input: typed errors, state unchanged', async (t) => {
  const { ipam, main, probe } = await setup()
  const before = await probe()
  const sub = await ipam.requestPool({ pool: '10.50.0.0/24', subPool: '10.50.0.0/30' })
  // 10.50.0.0 is the pool's network address: the /30 sub-pool holds three usable addresses
  for (const want of ['10.50.0.1', '10.50.0.2', '10.50.0.3']) {
    t.equal((await ipam.requestAddress(sub.poolId)).ip.toString(), want)
  }
  const cases: Array<[string, () => Promise<unknown>, string, string]> = [
    [
      'preferred outside the pool',
      () => ipam.requestAddress(main.poolId, { preferred: IP.parse('10.21.0.5') }),
      'address-out-of-range',
      'bad-request',
    ],
    [
      'preferred of the other family',
      () => ipam.requestAddress(main.poolId, { preferred: 'fd00::5' }),
      'address-out-of-range',
      'bad-request',
    ],
    [
      'preferred taken',
      () => ipam.requestAddress(main.poolId, { preferred: '10.20.0.2' }),
      'address-in-use',
      'conflict',
    ],
    [
      'preferred malformed',
      () => ipam.requestAddress(main.poolId, { preferred: '10.20.0.300' }),
      'invalid-address',
      'bad-request',
    ],
    [
      'unknown pool',
      () => ipam.requestAddress('local/10.99.0.0/24'),
      'pool-not-found',
      'not-found',
    ],
    [
      'unknown space in id',
      () => ipam.requestAddress('mars/10.20.0.0/24'),
      'pool-not-found',
      'not-found',
    ],
    [
      'malformed pool id',
      () => ipam.requestAddress('10.20.0.0/24'),
      'invalid-pool-id',
      'bad-request',
    ],
    [
      'malformed pool id 2',
      () => ipam.requestAddress('local/10.20.0.0'),
      'invalid-pool-id',
      'bad-request',
    ],
    [
      'sub-pool exhausted',
      () => ipam.requestAddress(sub.poolId),
      'no-available-address',
      'unavailable',
    ],
    [
      'implicit parent id',
      () => ipam.requestAddress('local/10.50.0.0/24'),
      'pool-not-found',
      'not-found',
    ],
    [
      'double release',
      () => ipam.releaseAddress(main.poolId, '10.20.0.9'),
      'address-not-allocated',
      'not-found',
    ],
    [
      'release outside',
      () => ipam.releaseAddress(main.poolId, '10.21.0.1'),
      'address-out-of-range',
      'bad-request',
    ],
    [
      'release network address',
      () => ipam.releaseAddress(main.poolId, '10.20.0.0'),
      'reserved-address',
      'bad-request',
    ],
    [
      'release into unknown pool',
      () => ipam.releaseAddress('local/10.98.0.0/24', '10.98.0.1'),
      'pool-not-found',
      'not-found',
    ],
    [
      'release malformed address',
      () => ipam.releaseAddress(main.poolId, 'x'),
      'invalid-address',
      'bad-request',
    ],
    [
      'release unknown pool',
      () => ipam.releasePool('local/10.97.0.0/24'),
      'pool-not-found',
      'not-found',
    ],
    [
      'release unknown sub-pool',
      () => ipam.releasePool('local/10.50.0.0/24/10.50.0.4/30'),
      'pool-not-found',
      'not-found',
    ],
    [
      'release implicit parent',
      () => ipam.releasePool('local/10.50.0.0/24'),
      'pool-not-found',
      'not-found',
    ],
  ]
  for (const [what, fn, code, category] of cases) {
    const err = await rejection(fn())
    t.equal(err.code, code, what)
    t.equal(err.category, category, what)
  }
  t.equal(await probe(), unchanged(before))
  await ipam.releaseAddress(main.poolId, '10.20.0.2')
  t.equal(
    (await rejection(ipam.releaseAddress(main.poolId, '10.20.0.2'))).code,
    'address-not-allocated',
    'double release',
  )
  await ipam.releasePool(main.poolId)
  t.equal(
    (await rejection(ipam.releasePool(main.poolId))).code,
    'pool-not-found',
    'pool released twice',
  )
  t.equal(
    (await rejection(ipam.requestAddress(main.poolId))).code,
    'pool-not-found',
    'released pool',
  )
})
