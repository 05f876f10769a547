// The controller's seams: capabilities, scopes and the global store, drivers and IPAMs found at
// run time, components, cluster table events, signals, join-time aliases, and compare-and-swap
// records shared by two controllers.
import t from 'tap'
import { memoryStore } from '@libnetwork/datastore'
import type {
  ClusterTables,
  DriverComponents,
  OperationOptions,
  TableEvent,
  TableWatch,
} from '@libnetwork/driverapi'
import type { IpamComponents } from '@libnetwork/ipam'
import { ConflictError, IP, IPNet, LibnetworkError, type Logger } from '@libnetwork/types'
import { Controller, type DiscoveryHooks, type EndpointInfo } from '../src/index.js'
import {
  fakeDriver,
  fakeDriverState,
  fakeIpam,
  fakeOS,
  readRecord,
  shared,
  startFake,
} from './fakes.js'

async function caught(p: Promise<unknown>): Promise<LibnetworkError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!LibnetworkError.isInstance(err))
    throw new Error(`expected a typed error, got ${String(err)}`)
  return err
}

t.test('two controllers on one store: a concurrent writer gets a ConflictError', async (t) => {
  const store = memoryStore()
  const os = fakeOS()
  const a = await startFake(store, os)
  await a.c.createNetwork({ name: 'n', driver: 'fake' })
  const ep = await a.c.createEndpoint('n', { name: 'e' })
  const sb = await a.c.createSandbox({ containerId: 'c' })
  // A second controller on the same store and kernel reads the same records.
  const b = await startFake(store, os)
  t.same(b.c.restoreSummary.repaired, [], 'a restore that repairs nothing writes nothing')
  await a.c.join(ep.id, sb.id)
  const records = JSON.stringify(await store.list(''))
  // b still believes the endpoint is free: its join's batch names versions a has replaced.
  const err = await caught(b.c.join(ep.id, sb.id))
  t.ok(ConflictError.isInstance(err), 'a conflict')
  t.equal(err.code, 'record-changed')
  t.match(err.message, /changed by another writer/)
  t.equal(JSON.stringify(await store.list('')), records, "a's records are not overwritten")
  t.equal(b.c.endpoint(ep.id).sandboxId, undefined, "b's view is as before")
  t.same(b.c.sandbox(sb.id).endpoints, [])
  t.ok(b.fake.calls.includes('leave'), "b's driver join was undone")
  t.equal((await readRecord(store, `endpoint/${ep.id}`))?.sandboxId, sb.id)
  // A write of a single record is compare-and-swap too.
  const err2 = await caught(b.c.deleteSandbox(sb.id))
  t.ok(ConflictError.isInstance(err2), 'deleting what the other changed conflicts')
  t.ok(await readRecord(store, `sandbox/${sb.id}`), 'the sandbox record is still there')
  t.ok(os.ns.has(sb.key!), 'and its namespace')
})

t.test('capabilities: needsIpam and sharesHostNetwork, not driver names', async (t) => {
  const plain = fakeDriver('plain', undefined, { needsIpam: false })
  const hosty = fakeDriver('hosty', undefined, { needsIpam: false, sharesHostNetwork: true })
  const ipam = fakeIpam()
  const c = await Controller.start({
    drivers: { plain: plain.factory, hosty: hosty.factory },
    ipams: { default: () => ipam },
    os: fakeOS(),
  })
  const n1 = await c.createNetwork({ name: 'p', driver: 'plain' })
  t.equal(n1.ipamDriver, 'null', 'a driver that needs no IPAM gets the null IPAM')
  t.same(n1.ipv4, [])
  t.equal(ipam.spaces.length, 0, 'no pool requested')
  const n2 = await c.createNetwork({ name: 'p2', driver: 'plain', ipam: { driver: 'default' } })
  t.equal(n2.ipamDriver, 'default', 'unless the user names one')
  await c.createNetwork({ name: 'h', driver: 'hosty' })
  const hostSb = await c.createSandbox({ containerId: 'hs', useHostNetwork: true })
  const ownSb = await c.createSandbox({ containerId: 'own' })
  const e1 = await c.createEndpoint('h', { name: 'e1' })
  const e2 = await c.createEndpoint('p', { name: 'e2' })
  const e3 = await c.createEndpoint('h', { name: 'e3' })
  await c.join(e1.id, hostSb.id)
  const wrong = await caught(c.join(e2.id, hostSb.id))
  t.equal(wrong.code, 'host-network-mismatch', 'a host-network sandbox joins only such networks')
  const wrong2 = await caught(c.join(e3.id, ownSb.id))
  t.equal(wrong2.code, 'host-network-mismatch', 'and such a network takes no other sandbox')
  t.match(wrong2.message, /driver hosty\) shares it/)
})

t.test('scope: a global driver is stored in the global store, allocated and freed', async (t) => {
  const local = memoryStore()
  const global = memoryStore({ scope: 'global' })
  const st = fakeDriverState()
  const gd = fakeDriver('gd', st, { dataScope: 'global', connectivityScope: 'global' })
  const base = gd.factory
  const allocated: string[] = []
  const freed: Array<Record<string, string>> = []
  const created: Array<Record<string, string> | undefined> = []
  const restored: Array<Record<string, string> | undefined> = []
  const factory = (comp: DriverComponents) => {
    const d = base(comp)
    return {
      ...d,
      async allocateNetwork(req: { networkId: string }) {
        allocated.push(req.networkId)
        return { vni: '4097' }
      },
      async freeNetwork(req: { driverData: Record<string, string> }) {
        freed.push(req.driverData)
      },
      async createNetwork(req: Parameters<typeof d.createNetwork>[0]) {
        created.push(req.driverData)
        return d.createNetwork(req)
      },
      async restore(s: Parameters<typeof d.restore>[0]) {
        for (const n of s.networks) restored.push(n.driverData)
        return d.restore(s)
      },
    }
  }
  const local1 = fakeDriver('fake')
  let ipam = fakeIpam()
  const start = () =>
    Controller.start({
      drivers: { gd: factory, fake: local1.factory },
      // A fresh IPAM per start, as after a restart (the controller re-reserves its pools).
      ipams: { default: () => (ipam = fakeIpam()) },
      store: shared(local),
      globalStore: global,
      os: fakeOS(),
    })
  const c = await start()
  const g = await c.createNetwork({ name: 'g', driver: 'gd' })
  const l = await c.createNetwork({ name: 'l', driver: 'fake' })
  t.equal(g.scope, 'global')
  t.equal(l.scope, 'local')
  t.same(ipam.spaces, ['fake-global', 'fake-local'], "pools from the IPAM's spaces by scope")
  t.same(g.driverData, { vni: '4097' })
  t.same(allocated, [g.id])
  t.same(created, [{ vni: '4097' }], 'createNetwork gets what allocateNetwork returned')
  t.ok(await readRecord(global, `network/${g.id}`), 'the global network is in the global store')
  t.notOk(await readRecord(local, `network/${g.id}`))
  t.ok(await readRecord(local, `network/${l.id}`), 'the local one in the local store')
  t.notOk(await readRecord(global, `network/${l.id}`))
  await c.stop()
  t.same(
    (await global.list('')).map((kv) => kv.key),
    [`libnetwork/controller/v1/endpoint_count/${g.id}`, `libnetwork/controller/v1/network/${g.id}`],
    'the global store is not closed (the network and its endpoint count)',
  )

  const c2 = await start()
  t.same(
    c2.networks().map((n) => [n.name, n.scope]),
    [
      ['l', 'local'],
      ['g', 'global'],
    ],
    'both restored',
  )
  t.same(restored, [{ vni: '4097' }], 'restore gets the driver data back')
  await c2.deleteNetwork('g')
  await c2.settled()
  t.same(freed, [{ vni: '4097' }], 'freeNetwork on delete')
  t.notOk(await readRecord(global, `network/${g.id}`))
  await c2.stop()
})

t.test('drivers and IPAMs found at run time, built once, with components', async (t) => {
  const lookups: string[] = []
  const seen: DriverComponents[] = []
  const ipamSeen: IpamComponents[] = []
  const lines: string[] = []
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (m) => lines.push(m),
    error: () => {},
  }
  const plugin = fakeDriver('plug')
  const store = memoryStore()
  const start = () =>
    Controller.start({
      drivers: {},
      driverResolver: async (name) => {
        lookups.push(name)
        if (name !== 'plug') return undefined
        return (comp) => {
          seen.push(comp)
          return plugin.factory(comp)
        }
      },
      ipams: {},
      ipamResolver: (name) =>
        name === 'pipam'
          ? (comp) => {
              ipamSeen.push(comp)
              return fakeIpam()
            }
          : undefined,
      store: shared(store),
      logger,
      os: fakeOS(),
    })
  const c = await start()
  t.same(lookups, [], 'nothing resolved before first use')
  const [n1, n2] = await Promise.all([
    c.createNetwork({ name: 'a', driver: 'plug', ipam: { driver: 'pipam' } }),
    c.createNetwork({ name: 'b', driver: 'plug', ipam: { driver: 'pipam' } }),
  ])
  t.ok(n1 && n2)
  t.same(lookups, ['plug'], 'resolved once, then cached')
  t.equal(seen.length, 1, 'built once')
  t.equal(seen[0]!.logger, logger, 'the driver gets the logger')
  t.equal(seen[0]!.localStore !== undefined, true, 'and the local store')
  t.equal(seen[0]!.globalStore, undefined, 'no global store configured')
  t.equal(ipamSeen.length, 1, 'the IPAM too')
  t.equal(ipamSeen[0]!.logger, logger)
  const nf = await caught(c.createNetwork({ name: 'x', driver: 'nope' }))
  t.equal(nf.category, 'not-found')
  t.equal(nf.code, 'driver-not-found')
  const nf2 = await caught(c.createNetwork({ name: 'x', driver: 'plug', ipam: { driver: 'no' } }))
  t.equal(nf2.code, 'ipam-driver-not-found')
  t.equal(c.networks().length, 2, 'state unchanged')
  await c.stop()
  lookups.length = 0
  const c2 = await start()
  t.same(lookups, ['plug'], 'restore resolves the drivers its records name')
  t.equal(c2.networks().length, 2)
  await c2.stop()
  // A record naming a driver nobody can find: the network is not loaded, and said so.
  const c3 = await Controller.start({ drivers: {}, store: shared(store), os: fakeOS() })
  t.same(c3.restoreSummary.repaired.sort(), [
    'network a: driver plug not found, not loaded',
    'network b: driver plug not found, not loaded',
  ])
})

t.test('cluster table events reach the drivers that asked for the table', async (t) => {
  const watchers = new Map<string, Array<(ev: TableEvent) => void>>()
  const closed: string[] = []
  const cluster: ClusterTables = {
    nodeName: 'node1',
    advertiseAddress: '10.0.0.1',
    joinNetwork: async () => {},
    leaveNetwork: async () => {},
    put: async () => {},
    delete: async () => {},
    entries: () => [],
    watch(table): TableWatch {
      const queue: TableEvent[] = []
      let wake: (() => void) | undefined
      let done = false
      const list = watchers.get(table) ?? []
      list.push((ev) => {
        queue.push(ev)
        wake?.()
      })
      watchers.set(table, list)
      return {
        close() {
          done = true
          closed.push(table)
          wake?.()
        },
        async *[Symbol.asyncIterator]() {
          while (!done) {
            const ev = queue.shift()
            if (ev) yield ev
            else await new Promise<void>((r) => (wake = r))
          }
        },
      }
    },
  }
  const got: TableEvent[] = []
  let arrived: () => void = () => {}
  const one = new Promise<void>((r) => (arrived = r))
  const d = fakeDriver('ov', undefined, { dataScope: 'global', tables: ['peers'] })
  const factory = (comp: DriverComponents) => ({
    ...d.factory(comp),
    onTableEvent(ev: TableEvent) {
      got.push(ev)
      arrived()
    },
  })
  const quiet = fakeDriver('quiet', undefined, { tables: ['other'] }) // no onTableEvent
  const c = await Controller.start({
    drivers: { ov: factory, quiet: quiet.factory },
    cluster,
    os: fakeOS(),
  })
  t.same([...watchers.keys()], ['peers'], 'only tables a driver handles are watched')
  const ev: TableEvent = {
    type: 'create',
    table: 'peers',
    networkId: 'n1',
    key: 'k',
    value: new Uint8Array([1]),
    owner: 'node2',
    local: false,
  }
  for (const push of watchers.get('peers')!) push(ev)
  await one
  t.same(got, [ev], 'dispatched to onTableEvent')
  await c.stop()
  t.same(closed, ['peers'], 'the watch ends with the controller')
})

t.test('signals pass through to the drivers and IPAMs', async (t) => {
  const seen: Array<[string, AbortSignal | undefined]> = []
  const d = fakeDriver('sig')
  const ipam = fakeIpam()
  const factory = (comp: DriverComponents) => {
    const base = d.factory(comp)
    const wrap =
      <K extends 'createNetwork' | 'createEndpoint' | 'join' | 'deleteEndpoint'>(k: K) =>
      (req: never, opts?: OperationOptions) => {
        seen.push([k, opts?.signal])
        return (base[k] as (r: never, o?: OperationOptions) => Promise<never>)(req, opts)
      }
    return {
      ...base,
      createNetwork: wrap('createNetwork'),
      createEndpoint: wrap('createEndpoint'),
      join: wrap('join'),
      deleteEndpoint: wrap('deleteEndpoint'),
    }
  }
  const requestPool = ipam.requestPool.bind(ipam)
  ipam.requestPool = (req) => {
    seen.push(['requestPool', req.signal])
    return requestPool(req)
  }
  const c = await Controller.start({
    drivers: { sig: factory },
    ipams: { default: () => ipam },
    os: fakeOS(),
  })
  const { signal } = new AbortController()
  await c.createNetwork({ name: 'n', driver: 'sig' }, { signal })
  const ep = await c.createEndpoint('n', { name: 'e' }, { signal })
  const sb = await c.createSandbox({ containerId: 'c' })
  await c.join(ep.id, sb.id, {}, { signal })
  await c.leave(ep.id, sb.id)
  await c.settled()
  await c.deleteEndpoint(ep.id, { signal })
  t.same(
    seen.map(([k, s]) => [k, s === signal]),
    [
      ['requestPool', true],
      ['createNetwork', true],
      ['createEndpoint', true],
      ['join', true],
      ['deleteEndpoint', true],
    ],
  )
})

t.test('join-time aliases: answered while joined, dropped by leave, validated', async (t) => {
  const joined: string[][] = []
  const discovery: DiscoveryHooks = {
    sandboxCreated: async () => ({}),
    sandboxDeleted: async () => {},
    joined: async (_sb, ep: EndpointInfo) => {
      joined.push([...ep.aliases])
    },
    left: async () => {},
  }
  const d = fakeDriver()
  const c = await Controller.start({
    drivers: { fake: d.factory },
    ipams: { default: fakeIpam },
    os: fakeOS(),
    discovery,
  })
  await c.createNetwork({
    name: 'n',
    driver: 'fake',
    ipam: { config: [{ subnet: IPNet.parse('10.3.0.0/24'), gateway: IP.parse('10.3.0.1') }] },
  })
  const ep = await c.createEndpoint('n', { name: 'web', aliases: ['www'] })
  const sb = await c.createSandbox({ containerId: 'c' })
  const bad = await caught(c.join(ep.id, sb.id, { aliases: ['bad name!'] }))
  t.equal(bad.category, 'bad-request')
  t.same(c.endpoint(ep.id).aliases, ['www'], 'a refused join changes nothing')
  await c.join(ep.id, sb.id, { aliases: ['api', 'www', 'api'] })
  t.same(joined, [['www', 'api']], 'service discovery gets the join-time aliases')
  t.same(c.endpoint(ep.id).aliases, ['www', 'api'])
  t.same(c.endpoint(ep.id).joinAliases, ['api'])
  await c.leave(ep.id, sb.id)
  t.same(c.endpoint(ep.id).aliases, ['www'], 'leave drops what the join added')
  t.equal(c.endpoint(ep.id).joinAliases, undefined)
})
