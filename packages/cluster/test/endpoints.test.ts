// Endpoint announcements between three agents over real UDP on loopback: entries in
// endpoint_table as upstream's EndpointRecord, and remote names through onRecords.
import t from 'tap'
import { IP } from '@libnetwork/types'
import {
  ENDPOINT_TABLE,
  EndpointSync,
  decodeEndpointRecord,
  endpointRecord,
  encodeEndpointRecord,
  type ClusterAgent,
  type NameRecord,
} from '../src/index.js'
import { agent, alive, until, type Teardown } from './helpers.js'

/** An EndpointSync whose onRecords keeps the current view as "network/name -> ips aliases". */
function sync(t: Teardown, a: ClusterAgent) {
  const view = new Map<string, string>()
  const calls: { nid: string; added: NameRecord[]; removed: NameRecord[] }[] = []
  const s = new EndpointSync({
    tables: a,
    onRecords(nid, added, removed) {
      calls.push({ nid, added, removed })
      for (const r of removed) view.delete(`${nid}/${r.name}`)
      for (const r of added) {
        const ips = [r.ipv4?.toString(), r.ipv6?.toString()].filter(Boolean).join(',')
        view.set(`${nid}/${r.name}`, `${ips} [${r.aliases.join(',')}] @${r.node}`)
      }
    },
  })
  s.start()
  t.teardown(() => s.stop())
  return { s, view, calls }
}

const dump = (m: Map<string, string>) => Object.fromEntries([...m].sort())

async function trio(t: Teardown) {
  const a = await agent(t, { nodeName: 'host-a' })
  const b = await agent(t, { nodeName: 'host-b', join: [a.address] })
  const c = await agent(t, { nodeName: 'host-c', join: [a.address] })
  await until('all see 3', () => [a, b, c].every((x) => alive(x).length === 3))
  return [a, b, c] as const
}

t.test('names cross hosts, go on leave, and go when a host leaves', async (t) => {
  const [a, b, c] = await trio(t)
  const A = sync(t, a)
  const B = sync(t, b)
  const C = sync(t, c)

  await A.s.join({
    networkId: 'net1',
    endpointId: 'ep-a1',
    name: 'web',
    aliases: ['www', 'front'],
    ipv4: IP.parse('10.1.0.2'),
    ipv6: IP.parse('fd00::2'),
  })
  // The entry is upstream's record, keyed by endpoint id.
  const [own] = a.entries(ENDPOINT_TABLE, 'net1')
  t.equal(own?.key, 'ep-a1')
  t.same(
    decodeEndpointRecord(own!.value),
    endpointRecord({
      name: 'web',
      virtualIp: '<nil>',
      endpointIp: '10.1.0.2',
      taskAliases: ['www', 'front'],
      endpointIpv6: 'fd00::2',
    }),
  )
  t.same(a.networks(), [{ networkId: 'net1', joins: 1 }], 'first endpoint joined the group')

  await B.s.join({ networkId: 'net1', endpointId: 'ep-b1', name: 'db', ipv4: IP.parse('10.1.0.3') })
  await C.s.join({
    networkId: 'net1',
    endpointId: 'ep-c1',
    name: 'cache',
    ipv4: IP.parse('10.1.0.4'),
  })
  await C.s.join({
    networkId: 'net1',
    endpointId: 'ep-c2',
    name: 'cache2',
    ipv4: IP.parse('10.1.0.5'),
  })
  t.same(c.networks(), [{ networkId: 'net1', joins: 1 }], 'one group join per network')

  await until('C knows web and db', () => C.view.size === 2)
  t.same(dump(C.view), {
    'net1/db': '10.1.0.3 [] @host-b',
    'net1/web': '10.1.0.2,fd00::2 [www,front] @host-a',
  })
  await until('A knows the other three', () => A.view.size === 3)
  t.same(dump(A.view), {
    'net1/cache': '10.1.0.4 [] @host-c',
    'net1/cache2': '10.1.0.5 [] @host-c',
    'net1/db': '10.1.0.3 [] @host-b',
  })
  t.same(
    C.s
      .records('net1')
      .map((r) => r.endpointId)
      .sort(),
    ['ep-a1', 'ep-b1'],
  )
  t.same(
    C.s.announced().map((e) => e.endpointId),
    ['ep-c1', 'ep-c2'],
  )

  // A leave withdraws the name everywhere; the last one on a host leaves the group.
  await C.s.leave('net1', 'ep-c2')
  await until('A lost cache2', () => !A.view.has('net1/cache2'))
  t.ok(B.view.has('net1/cache'), 'cache stays')
  await A.s.leave('net1', 'ep-a1')
  t.same(a.networks(), [], 'last endpoint left the group')
  t.same(dump(A.view), {}, 'A forgot the network’s remote names')
  await until('B and C lost web', () => !B.view.has('net1/web') && !C.view.has('net1/web'))

  // A host that leaves the cluster: its names go on the others.
  await b.stop()
  await until('C lost db', () => !C.view.has('net1/db'))
  t.same(dump(C.view), {})
})

t.test('a network joined later gets the names already there', async (t) => {
  const [a, b] = await trio(t)
  const A = sync(t, a)
  const B = sync(t, b)
  for (let i = 0; i < 20; i++) {
    await A.s.join({
      networkId: 'n2',
      endpointId: `e${i}`,
      name: `c${i}`,
      ipv4: IP.parse(`10.2.0.${i + 2}`),
    })
  }
  await B.s.join({ networkId: 'n2', endpointId: 'eb', name: 'b', ipv4: IP.parse('10.2.1.2') })
  await until('B has A’s 20', () => B.view.size === 20)
  t.equal(B.view.get('n2/c7'), '10.2.0.9 [] @host-a')
  // Each name arrived once (no duplicate adds).
  const adds = B.calls.flatMap((c) => c.added.map((r) => r.endpointId))
  t.equal(adds.length, new Set(adds).size)
})

t.test('bad endpoints are refused and change nothing', async (t) => {
  const a = await agent(t)
  const A = sync(t, a)
  const ok = { networkId: 'n', endpointId: 'e', name: 'x', ipv4: IP.parse('10.0.0.2') }
  const cases: [object, string][] = [
    [{ networkId: '' }, 'cluster.bad-endpoint'],
    [{ endpointId: '' }, 'cluster.bad-endpoint'],
    [{ name: '' }, 'cluster.bad-endpoint'],
    [{ ipv4: undefined }, 'cluster.bad-endpoint'],
    [{ ipv4: IP.parse('fd00::1') }, 'cluster.bad-endpoint'],
    [{ ipv6: IP.parse('10.0.0.1') }, 'cluster.bad-endpoint'],
    [{ aliases: [''] }, 'cluster.bad-endpoint'],
  ]
  for (const [patch, code] of cases) {
    await t.rejects(
      A.s.join({ ...ok, ...patch }),
      { code, category: 'bad-request' },
      JSON.stringify(patch),
    )
  }
  t.same(a.networks(), [])
  t.same(A.s.announced(), [])
  await A.s.join(ok)
  await t.rejects(A.s.join(ok), { code: 'cluster.endpoint-announced', category: 'conflict' })
  await t.rejects(A.s.leave('n', 'nope'), {
    code: 'cluster.endpoint-not-announced',
    category: 'not-found',
  })
  await t.rejects(A.s.leave('other', 'e'), { code: 'cluster.endpoint-not-announced' })
  t.equal(A.s.announced().length, 1)
})

t.test('a remote entry that is not a usable record gives no name', async (t) => {
  const [a, b] = await trio(t)
  const B = sync(t, b)
  await B.s.join({ networkId: 'n3', endpointId: 'eb', name: 'b', ipv4: IP.parse('10.3.0.9') })
  await a.joinNetwork('n3')
  await a.put(ENDPOINT_TABLE, 'n3', 'junk', new Uint8Array([0x0a, 0x09]))
  await a.put(ENDPOINT_TABLE, 'n3', 'noip', encodeEndpointRecord(endpointRecord({ name: 'x' })))
  await a.put(
    ENDPOINT_TABLE,
    'n3',
    'good',
    encodeEndpointRecord(endpointRecord({ name: 'ok', endpointIp: '10.3.0.2' })),
  )
  await until('B has good', () => B.view.has('n3/ok'))
  await until('B stores all three entries', () => b.entries(ENDPOINT_TABLE, 'n3').length === 4)
  t.same(dump(B.view), { 'n3/ok': '10.3.0.2 [] @host-a' })
  // An update that breaks the record removes the name.
  await a.put(ENDPOINT_TABLE, 'n3', 'good', new Uint8Array([0xff]))
  await until('B dropped ok', () => !B.view.has('n3/ok'))
})

t.test(
  'a host that restarts re-announces under a new node name; nothing stale stays',
  async (t) => {
    const [a, b] = await trio(t)
    const B = sync(t, b)
    await B.s.join({ networkId: 'n4', endpointId: 'eb', name: 'b', ipv4: IP.parse('10.4.0.9') })
    const A = sync(t, a)
    const ep = { networkId: 'n4', endpointId: 'ea', name: 'web', ipv4: IP.parse('10.4.0.2') }
    await A.s.join(ep)
    await until('B has web from host-a', () => B.view.get('n4/web') === '10.4.0.2 [] @host-a')
    // The daemon restarts: its agent goes away and a new one (new name, as upstream) comes back
    // and re-announces the endpoints in its store.
    await A.s.stop()
    await a.stop()
    await until('B dropped web', () => !B.view.has('n4/web'))
    const a2 = await agent(t, { join: [b.address] })
    const A2 = sync(t, a2)
    await A2.s.join(ep)
    await until('B has web again', () => B.view.get('n4/web') === `10.4.0.2 [] @${a2.nodeName}`)
    t.same(
      b
        .entries(ENDPOINT_TABLE, 'n4')
        .map((e) => [e.key, e.owner])
        .sort(),
      [
        ['ea', a2.nodeName],
        ['eb', 'host-b'],
      ],
      'one entry per endpoint, owned by the new node',
    )
  },
)
