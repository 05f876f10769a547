import t from 'tap'
import { IPNet } from '@libnetwork/types'
import { memoryStore } from '@libnetwork/datastore'
import { DefaultIpam } from '@libnetwork/ipam'
import { Controller } from '../src/index.js'
import { fakeDriver, fakeDriverState, fakeOS } from './fakes.js'

// The real default IPAM (the fake one has no IPv6 defaults): `enableIPv6` without an IPv6
// subnet takes a pool from its IPv6 defaults, as IPv4 does without a subnet.
async function start(failOn: string[] = []) {
  const st = fakeDriverState(failOn)
  const fake = fakeDriver('fake', st)
  const ipam = new DefaultIpam({ hostId: 'h10' })
  const c = await Controller.start({
    drivers: { fake: fake.factory },
    ipams: { default: () => ipam },
    store: memoryStore(),
    os: fakeOS(),
  })
  return { c, ipam, st }
}

t.test('--ipv6 without a subnet gets a pool from the IPv6 defaults', async (t) => {
  const { c } = await start()
  t.teardown(() => c.stop())
  const base = (await new DefaultIpam({ hostId: 'h10' }).requestPool({ v6: true })).pool
  const n = await c.createNetwork({ name: 'v6', driver: 'fake', enableIPv6: true })
  t.equal(n.ipv4.length, 1, 'an IPv4 pool too')
  t.equal(n.ipv6.length, 1)
  t.equal(n.ipv6[0]!.subnet.toString(), base.toString(), 'the first /64 of the ULA /48')
  t.equal(
    n.ipv6[0]!.gateway?.toString(),
    base.at(1n).toString(),
    'the first address is the gateway',
  )
  const m = await c.createNetwork({ name: 'v6b', driver: 'fake', enableIPv6: true })
  t.not(m.ipv6[0]!.subnet.toString(), n.ipv6[0]!.subnet.toString(), 'each network its own pool')
  const plain = await c.createNetwork({ name: 'v4', driver: 'fake' })
  t.equal(plain.ipv6.length, 0, 'no IPv6 pool without enableIPv6')
})

t.test('a failure after the IPv6 pool is reserved releases it', async (t) => {
  const { c, ipam, st } = await start(['createNetwork'])
  t.teardown(() => c.stop())
  await t.rejects(c.createNetwork({ name: 'v6', driver: 'fake', enableIPv6: true }), {
    message: /injected failure in createNetwork/,
  })
  t.same(c.networks(), [], 'no network')
  const first = (await new DefaultIpam({ hostId: 'h10' }).requestPool({ v6: true })).pool
  // Both pools are free again: explicit requests for them succeed.
  const p6 = await ipam.requestPool({ pool: first, v6: true })
  t.equal(p6.pool.toString(), first.toString(), 'the IPv6 pool was released')
  const p4 = await ipam.requestPool({ pool: IPNet.parse('172.17.0.0/16') })
  t.equal(p4.pool.toString(), '172.17.0.0/16', 'the IPv4 pool was released')
  st.failOn.clear()
})

t.test('IPv6 subnets given are used as before', async (t) => {
  const { c } = await start()
  t.teardown(() => c.stop())
  const n = await c.createNetwork({
    name: 'v6',
    driver: 'fake',
    enableIPv6: true,
    ipam: { config: [{ subnet: IPNet.parse('fd00:1::/64') }] },
  })
  t.same(
    n.ipv6.map((s) => s.subnet.toString()),
    ['fd00:1::/64'],
  )
})
