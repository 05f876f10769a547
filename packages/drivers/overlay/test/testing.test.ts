// The helpers of ./testing: the in-memory cluster hands a member's puts and deletes to the other
// members only and counts group joins; the network request has its gateway and parsed options.
import t from 'tap'
import type { Driver, TableEvent } from '@libnetwork/driverapi'
import { FakeCluster, overlayNetworkRequest } from '../src/testing/index.js'

const VNI = 'com.docker.network.driver.overlay.vxlanid_list'

t.test('FakeCluster: events go to the other members, entries are shared', async (t) => {
  const c = new FakeCluster()
  const seen: Record<string, TableEvent[]> = { a: [], b: [] }
  for (const n of ['a', 'b'])
    c.members.set(n, { onTableEvent: (ev: TableEvent) => seen[n]!.push(ev) } as unknown as Driver)
  const a = c.tables('a', '10.0.0.1')
  const b = c.tables('b', '10.0.0.2')
  t.equal(b.advertiseAddress, '10.0.0.2')
  await a.put('tbl', 'n1', 'k', Uint8Array.of(1))
  await a.put('tbl', 'n1', 'k', Uint8Array.of(2))
  t.same(seen.a, [], 'the writer hears nothing of its own')
  t.same(
    seen.b!.map((e) => [e.type, e.owner, e.local, [...e.value]]),
    [
      ['create', 'a', false, [1]],
      ['update', 'a', false, [2]],
    ],
  )
  const [e] = b.entries('tbl', 'n1')
  t.same([e!.key, e!.owner, e!.local, [...e!.value]], ['k', 'a', false, [2]], "b sees a's entry")
  t.equal(a.entries('tbl', 'n1')[0]!.local, true, 'a sees it as its own')
  t.same(b.entries('tbl', 'n2'), [], 'another network has none')
  await a.delete('tbl', 'n1', 'k')
  await a.delete('tbl', 'n1', 'k')
  t.same(
    seen.b!.map((ev) => ev.type),
    ['create', 'update', 'delete'],
    'one delete event, none for a missing key',
  )
  await a.joinNetwork('n1')
  await a.joinNetwork('n1')
  await a.leaveNetwork('n1')
  t.equal(c.groups.get('a\0n1'), 1, 'joins minus leaves')
  await a.leaveNetwork('n1')
  t.equal(c.groups.size, 0)
  await t.rejects(a.leaveNetwork('n1'), /more often than it joined/)
})

t.test('overlayNetworkRequest: gateway is the first address, options parsed', async (t) => {
  const r = overlayNetworkRequest({
    networkId: 'f'.repeat(64),
    name: 'x',
    subnet: '10.5.6.0/24',
    options: { [VNI]: '7000' },
  })
  t.equal(String(r.ipv4[0]!.pool), '10.5.6.0/24')
  t.equal(String(r.ipv4[0]!.gateway), '10.5.6.1/24')
  t.same((r.options as { vnis?: number[] }).vnis, [7000])
  t.throws(() =>
    overlayNetworkRequest({
      networkId: 'f',
      name: 'x',
      subnet: '10.5.6.0/24',
      options: { [VNI]: '0' },
    }),
  )
})
