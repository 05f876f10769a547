// Global-scope networks shared through the global store: two controllers ("hosts") on one
// in-memory global store (the datastore's memory store has watches, like etcd).
import t from 'tap'
import { memoryStore } from '@libnetwork/datastore'
import { ConflictError, IPNet, NotFoundError, UnavailableError } from '@libnetwork/types'
import type { NetworkInfo } from '../src/index.js'
import { readRecord, shared } from './fakes.js'
import { caught, flaky, startHost, until } from './global-helpers.js'

// Several controllers on one store, on a loaded machine: more than tap's 30 s per file.
t.setTimeout(300_000)

const names = (list: NetworkInfo[]) => list.map((n) => n.name).sort()

t.test(
  'a network created on one host appears on the other; removed on either, gone on both',
  async (t) => {
    const global = memoryStore({ scope: 'global' })
    const a = await startHost(global, t)
    const b = await startHost(global, t)
    const created: string[] = []
    b.c.on('network:create', (n) => created.push(n.name))

    const g = await a.c.createNetwork({
      name: 'g1',
      driver: 'gd',
      ipam: { config: [{ subnet: IPNet.parse('10.50.0.0/24') }] },
    })
    await until('g1 on host B', () => names(b.c.networks()).includes('g1'))
    const onB = b.c.network('g1')
    t.equal(onB.id, g.id, 'same id')
    t.equal(onB.scope, 'global')
    t.same(
      onB.ipv4.map((s) => [s.subnet.toString(), s.gateway?.toString()]),
      [['10.50.0.0/24', '10.50.0.1']],
      'same subnet and gateway',
    )
    t.notOk('pools' in onB, 'pool ids stay in the record')
    t.ok(b.driver.networks.has(g.id), "B's driver was told")
    t.same(b.poolRequests, [], 'B reserved no pool (the cluster has it)')
    t.same(created, ['g1'], 'B announced it')

    // Removed from B (not the creator): gone on A too, the pool free in the cluster's IPAM.
    await b.c.deleteNetwork('g1')
    await b.c.settled()
    await until('g1 gone on host A', () => !names(a.c.networks()).includes('g1'))
    t.notOk(a.driver.networks.has(g.id), "A's driver removed it")
    t.notOk(b.driver.networks.has(g.id), "B's driver removed it")
    t.notOk(await readRecord(global, `network/${g.id}`), 'the record is gone')
    t.notOk(await readRecord(global, `endpoint_count/${g.id}`), 'and its count')
    const again = await a.c.createNetwork({
      name: 'g1',
      driver: 'gd',
      ipam: { config: [{ subnet: IPNet.parse('10.50.0.0/24') }] },
    })
    t.ok(again.id, 'the subnet was released once: it can be created again')
    await until('g1 back on B', () => names(b.c.networks()).includes('g1'))

    // And removed on its creator: gone on B.
    await a.c.deleteNetwork('g1')
    await until('g1 gone on host B', () => !names(b.c.networks()).includes('g1'))
  },
)

t.test('a network with endpoints on any host cannot be removed', async (t) => {
  const global = memoryStore({ scope: 'global' })
  const a = await startHost(global, t)
  const b = await startHost(global, t)
  const g = await a.c.createNetwork({ name: 'g2', driver: 'gd' })
  await until('g2 on B', () => names(b.c.networks()).includes('g2'))
  const ep = await b.c.createEndpoint('g2', { name: 'web' })
  t.equal((await readRecord(global, `endpoint_count/${g.id}`))?.count, 1, 'counted')

  const err = await caught(a.c.deleteNetwork('g2'))
  t.ok(ConflictError.isInstance(err), 'a conflict')
  t.equal(err.code, 'network-has-endpoints')
  t.match(err.message, /network g2 has 1 endpoint/, 'naming the network')
  t.same(names(a.c.networks()), ['g2'], 'still there on A')
  t.same(names(b.c.networks()), ['g2'], 'and on B')
  t.notOk((await readRecord(global, `network/${g.id}`))?.deleting, 'not marked')

  const local = await caught(b.c.deleteNetwork('g2'))
  t.equal(local.code, 'network-in-use', 'the host with the endpoint says so as before')

  await b.c.deleteEndpoint(ep.id)
  t.equal((await readRecord(global, `endpoint_count/${g.id}`))?.count, 0, 'uncounted')
  await a.c.deleteNetwork('g2')
  await until('g2 gone on B', () => b.c.networks().length === 0)

  // An endpoint on a network another host is removing is refused, and counts nothing.
  const h = await a.c.createNetwork({ name: 'g3', driver: 'gd' })
  await until('g3 on B', () => names(b.c.networks()).includes('g3'))
  await a.c.deleteNetwork('g3')
  const late = await caught(b.c.createEndpoint('g3', { name: 'late' }))
  // B may have seen the removal already (network not found) or not yet (being removed).
  t.ok(NotFoundError.isInstance(late), `refused: ${late.message}`)
  t.same(b.c.endpoints(), [], 'no endpoint on B')
  t.notOk(await readRecord(global, `endpoint_count/${h.id}`), 'no count revived')
})

t.test('two hosts allocating at once from one global pool never share an address', async (t) => {
  const global = memoryStore({ scope: 'global' })
  const a = await startHost(global, t)
  const b = await startHost(global, t)
  await a.c.createNetwork({
    name: 'big',
    driver: 'gd',
    ipam: { config: [{ subnet: IPNet.parse('10.60.0.0/22') }] },
  })
  await until('big on B', () => names(b.c.networks()).includes('big'))
  const per = 150
  const make = (h: typeof a, tag: string) =>
    Promise.all(
      Array.from({ length: per }, (_, i) => h.c.createEndpoint('big', { name: `${tag}${i}` })),
    )
  const [ea, eb] = await Promise.all([make(a, 'a'), make(b, 'b')])
  const addrs = [...ea, ...eb].map((e) => e.address!.ip.toString())
  t.equal(addrs.length, 2 * per)
  t.equal(new Set(addrs).size, addrs.length, 'no duplicates')
  t.notOk(addrs.includes('10.60.0.1'), 'the gateway is never handed out')
  const net = a.c.network('big')
  t.equal((await readRecord(global, `endpoint_count/${net.id}`))?.count, 2 * per, 'all counted')
})

t.test('a restarted host gets the global networks back without reserving anything', async (t) => {
  const global = memoryStore({ scope: 'global' })
  const localA = memoryStore()
  const a = await startHost(global, t, shared(localA))
  const b = await startHost(global, t)
  const g = await a.c.createNetwork({
    name: 'g4',
    driver: 'gd',
    ipam: { config: [{ subnet: IPNet.parse('10.70.0.0/24') }] },
  })
  const ep = await a.c.createEndpoint('g4', { name: 'web' })
  await a.c.stop()

  // Created while A was down: A's start lists it.
  await b.c.createNetwork({ name: 'g5', driver: 'gd' })
  const a2 = await startHost(global, t, shared(localA))
  t.same(names(a2.c.networks()), ['g4', 'g5'], 'both networks at start')
  t.same(a2.poolRequests, [], 'no pool re-reserved (they are the cluster’s)')
  t.equal(a2.c.endpoint(ep.id).address?.toString(), ep.address?.toString(), 'endpoint kept')
  const next = await a2.c.createEndpoint('g4', { name: 'db' })
  t.not(next.address?.toString(), ep.address?.toString(), 'its address is still taken')
  t.equal((await readRecord(global, `endpoint_count/${g.id}`))?.count, 2)
})

t.test(
  'the global store going away: unavailable errors, nothing half-made; back: resync',
  async (t) => {
    const inner = memoryStore({ scope: 'global' })
    const f = flaky(inner)
    const a = await startHost(inner, t)
    const b = await startHost(f.store, t)
    const g = await a.c.createNetwork({ name: 'g6', driver: 'gd' })
    await a.c.createNetwork({ name: 'g9', driver: 'gd' })
    await until('g6, g9 on B', () => names(b.c.networks()).length === 2)
    const ep = await b.c.createEndpoint('g6', { name: 'web' })

    f.down()
    const create = await caught(b.c.createNetwork({ name: 'g7', driver: 'gd' }))
    t.ok(UnavailableError.isInstance(create), `create: ${create.message}`)
    t.same(names(b.c.networks()), ['g6', 'g9'], 'no network half-made')
    t.equal(b.driver.networks.size, 2, 'the driver has none either')
    const epErr = await caught(b.c.createEndpoint('g6', { name: 'db' }))
    t.ok(UnavailableError.isInstance(epErr), `endpoint create: ${epErr.message}`)
    t.same(
      b.c.endpoints().map((e) => e.name),
      ['web'],
      'no endpoint half-made',
    )
    const epDel = await caught(b.c.deleteEndpoint(ep.id))
    t.ok(UnavailableError.isInstance(epDel), 'endpoint delete: unavailable')
    t.ok(b.c.endpoint(ep.id), 'the endpoint is still there')
    const del = await caught(b.c.deleteNetwork('g9'))
    t.ok(UnavailableError.isInstance(del), 'network delete: unavailable')
    t.same(names(b.c.networks()), ['g6', 'g9'], 'still listed: ls works while the store is away')

    // Meanwhile A (its store is up) adds one network and removes another: B misses both.
    await a.c.createNetwork({ name: 'g8', driver: 'gd' })
    await a.c.deleteNetwork('g9')

    f.up()
    await until('B resynced: g8 appears, g9 goes', () => names(b.c.networks()).join() === 'g6,g8')
    t.same(names(b.c.networks()), ['g6', 'g8'], 'what changed while B was cut off is caught up')
    await b.c.deleteEndpoint(ep.id)
    t.equal((await readRecord(inner, `endpoint_count/${g.id}`))?.count, 0, 'the count is right')
    await b.c.deleteNetwork('g6')
    await until('g6 gone on A', () => !names(a.c.networks()).includes('g6'))
  },
)

t.test('every host lists the endpoints of a global network on all hosts', async (t) => {
  const global = memoryStore({ scope: 'global' })
  const a = await startHost(global, t)
  const b = await startHost(global, t)
  await a.c.createNetwork({ name: 'svc', driver: 'gd' })
  await until('svc on B', () => names(b.c.networks()).includes('svc'))
  const web = await a.c.createEndpoint('svc', { name: 'web' })
  const db = await b.c.createEndpoint('svc', { name: 'db' })
  const list = async (h: typeof a) => (await h.c.clusterEndpoints('svc')).map((e) => e.name).sort()
  t.same(await list(a), ['db', 'web'], 'A lists both')
  t.same(await list(b), ['db', 'web'], 'B lists both')
  t.same(
    (await b.c.clusterEndpoints()).find((e) => e.name === 'web')?.address?.toString(),
    web.address?.toString(),
    "with A's address",
  )
  t.same(
    a.c.endpoints('svc').map((e) => e.name),
    ['web'],
    'endpoints() stays this host’s own',
  )
  await b.c.deleteEndpoint(db.id)
  t.same(await list(a), ['web'], 'a delete on B is gone from A’s list')
})
