import t from 'tap'
import { IP } from '@libnetwork/types'
import { DefaultIpam } from '@libnetwork/ipam'
import { fetchIpamCapabilities, remoteIpam } from '../src/index.js'
import { clientOf, servePlugin, tempDir } from './helpers.js'
import { ipamHandlers } from './ipam-plugin.js'

const logger = { debug() {}, info() {}, warn() {}, error() {} }

t.test('remote IPAM over the default IPAM served as a plugin', async (t) => {
  const dir = tempDir(t)
  const calls: Array<[string, unknown]> = []
  await servePlugin(t, dir, 'ipam1', { ipam: ipamHandlers(new DefaultIpam(), calls) })
  const client = clientOf(t, dir, 'ipam1')
  const caps = await fetchIpamCapabilities(client)
  t.same(caps, { requiresMACAddress: true, requiresRequestReplay: false })
  const ipam = remoteIpam(client, caps)({ logger })
  t.equal(ipam.type, 'ipam1')
  t.same(ipam.capabilities(), caps)
  t.same(await ipam.getDefaultAddressSpaces(), { local: 'local', global: 'global' })

  const pool = await ipam.requestPool({})
  t.equal(pool.pool.toString(), '172.17.0.0/16')
  t.equal(pool.poolId, 'local/172.17.0.0/16')
  const sub = await ipam.requestPool({ pool: '10.1.0.0/16', subPool: '10.1.2.0/24' })
  const gw = await ipam.requestAddress(sub.poolId, { preferred: IP.parse('10.1.0.1') })
  t.equal(gw?.toString(), '10.1.0.1/16')
  const a = await ipam.requestAddress(sub.poolId, {
    options: { 'com.docker.network.endpoint.macaddress': '02:42:0a:01:02:00' },
  })
  t.equal(a?.toString(), '10.1.2.0/16')
  const b = await ipam.requestAddress(sub.poolId, { serial: true })
  t.equal(b?.toString(), '10.1.2.1/16')
  const v6 = await ipam.requestPool({ pool: 'fd00:1::/64' })
  t.equal((await ipam.requestAddress(v6.poolId))?.toString(), 'fd00:1::1/64')

  t.same(calls.slice(0, 2), [
    ['RequestPool', { AddressSpace: 'local', Pool: '', SubPool: '', Options: {}, V6: false }],
    [
      'RequestPool',
      {
        AddressSpace: 'local',
        Pool: '10.1.0.0/16',
        SubPool: '10.1.2.0/24',
        Options: {},
        V6: false,
      },
    ],
  ])
  t.same(calls[2], ['RequestAddress', { PoolID: sub.poolId, Address: '10.1.0.1', Options: {} }])
  t.same(calls[4], [
    'RequestAddress',
    { PoolID: sub.poolId, Address: '', Options: { 'com.docker.network.ipam.serial': 'true' } },
  ])
  t.match(calls[5], ['RequestPool', { Pool: 'fd00:1::/64', V6: true }])

  // Errors keep their category and code across the wire; state is unchanged.
  await t.rejects(ipam.requestAddress(sub.poolId, { preferred: '10.1.0.1' }), {
    category: 'conflict',
    code: 'address-in-use',
  })
  await t.rejects(ipam.requestPool({ pool: '10.1.0.0/24' }), {
    category: 'conflict',
    code: 'pool-overlap',
  })
  await t.rejects(ipam.releasePool('local/192.168.0.0/24'), {
    category: 'not-found',
    code: 'pool-not-found',
  })
  await t.rejects(ipam.requestPool({ addressSpace: 'nope' }), {
    category: 'bad-request',
    code: 'invalid-address-space',
  })
  await ipam.releaseAddress(sub.poolId, a!.ip)
  t.equal(calls.at(-1)?.[0], 'ReleaseAddress')
  t.same(calls.at(-1)?.[1], { PoolID: sub.poolId, Address: '10.1.2.0' })
  await ipam.releaseAddress(sub.poolId, gw!.ip)
  await ipam.releaseAddress(sub.poolId, b!.ip)
  await ipam.releasePool(sub.poolId)
  await ipam.releasePool(pool.poolId)
  t.same(calls.at(-1), ['ReleasePool', { PoolID: pool.poolId }])
})

t.test('an IPAM plugin with only the required calls', async (t) => {
  const dir = tempDir(t)
  await servePlugin(t, dir, 'bare', {
    ipam: {
      requestPool: () => ({ PoolID: 'p1', Pool: '10.5.0.0/24' }),
      releasePool: () => {},
      requestAddress: (req) =>
        req.Address === 'bad'
          ? { Address: 'nonsense' }
          : { Address: req.Address === 'none' ? '' : '10.5.0.9/24' },
      releaseAddress: () => {},
    },
  })
  const client = clientOf(t, dir, 'bare')
  const caps = await fetchIpamCapabilities(client)
  t.same(caps, { requiresMACAddress: false, requiresRequestReplay: false })
  const ipam = remoteIpam(client, caps)({ logger })
  t.same(await ipam.getDefaultAddressSpaces(), { local: 'local', global: 'global' })
  t.match(await ipam.requestPool({}), { poolId: 'p1', meta: {} })
  t.equal(await ipam.requestAddress('p1', { preferred: 'none' }), undefined)
  await t.rejects(ipam.requestAddress('p1', { preferred: 'bad' }), {
    category: 'internal',
    code: 'plugin-bad-response',
  })
})

t.test('a plugin without capabilities call answers 404: defaults, as upstream', async (t) => {
  const dir = tempDir(t)
  // A network-only plugin does not serve IpamDriver calls at all (404).
  await servePlugin(t, dir, 'net', {
    network: {
      createNetwork: () => {},
      deleteNetwork: () => {},
      createEndpoint: () => {},
      deleteEndpoint: () => {},
      join: () => ({}),
      leave: () => {},
    },
  })
  t.same(await fetchIpamCapabilities(clientOf(t, dir, 'net')), {
    requiresMACAddress: false,
    requiresRequestReplay: false,
  })
})
