// The daemon's cluster wiring: [cluster] config to agent, and the endpoints of global-scope
// networks announced in endpoint_table as the controller reports joins and leaves (a small
// stand-in for the controller's events; two real agents on loopback).
import t from 'tap'
import { memoryOS } from './memory-os.js'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ENDPOINT_TABLE, decodeEndpointRecord, type ClusterAgent } from '@libnetwork/cluster'
import {
  Controller,
  serviceDiscovery,
  type ControllerEvents,
  type DnsServing,
  type EndpointInfo,
  type NetworkInfo,
} from '@libnetwork/controller'
import { nullDriver } from '@libnetwork/driver-null'
import { InterfaceAddress, NotFoundError } from '@libnetwork/types'
import { announceEndpoints, clusterAgent } from '../src/cluster-wiring.js'
import { createLogger } from '../src/index.js'

const logger = createLogger('error', () => {})

function endpoint(id: string, networkId: string, name: string, ip: string): EndpointInfo {
  return {
    id,
    name,
    networkId,
    aliases: [`${name}-alias`],
    address: InterfaceAddress.parse(`${ip}/24`),
    exposedPorts: [],
    portBindings: [],
    boundPorts: [],
    sandboxId: `sb-${id}`,
  }
}

/** What announceEndpoints uses of the controller: endpoints, network scopes, join/leave events. */
function controllerStandIn(scopes: Record<string, 'local' | 'global'>, restored: EndpointInfo[]) {
  const listeners = new Map<string, Set<(e: never) => void>>()
  return {
    endpoints: () => restored,
    network(ref: string) {
      const scope = scopes[ref]
      if (!scope) throw new NotFoundError('network-not-found', ref)
      return { id: ref, scope } as NetworkInfo
    },
    on<K extends keyof ControllerEvents>(name: K, fn: (e: ControllerEvents[K]) => void) {
      let set = listeners.get(name)
      if (!set) listeners.set(name, (set = new Set()))
      set.add(fn)
      return () => void set.delete(fn)
    },
    emit<K extends keyof ControllerEvents>(name: K, e: ControllerEvents[K]) {
      for (const fn of listeners.get(name) ?? []) (fn as (e: ControllerEvents[K]) => void)(e)
    },
  }
}

async function until(what: string, cond: () => boolean): Promise<void> {
  const end = Date.now() + 20_000
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const keys = (a: ClusterAgent, nid: string) =>
  a
    .entries(ENDPOINT_TABLE, nid)
    .map((e) => e.key)
    .sort()

t.test('[cluster] config becomes an agent; a bad peer is a typed error', async (t) => {
  const a = clusterAgent(
    {
      bindAddress: '127.0.0.1',
      bindPort: 0,
      join: [],
      encryptionKey: Buffer.alloc(16, 7).toString('base64'),
    },
    logger,
  )
  t.equal(a.advertiseAddress, '127.0.0.1')
  const d = clusterAgent(
    { bindAddress: '127.0.0.1', bindPort: 0, join: [], diagnosticPort: 0 },
    logger,
  )
  await d.start()
  t.teardown(() => d.stop())
  t.match(d.diagnosticUrl, /^http:\/\/127\.0\.0\.1:\d+$/, 'diagnostic_port reaches the agent')
  t.throws(
    () => clusterAgent({ bindAddress: '127.0.0.1', bindPort: 0, join: ['nowhere'] }, logger),
    { code: 'cluster.bad-config', category: 'bad-request' },
  )
})

t.test(
  'endpoints of global networks are announced, restored ones too; local ones are not',
  async (t) => {
    const a = clusterAgent({ bindAddress: '127.0.0.1', bindPort: 0, join: [] }, logger)
    await a.start()
    t.teardown(() => a.stop())
    const b = clusterAgent({ bindAddress: '127.0.0.1', bindPort: 0, join: [a.address] }, logger)
    await b.start()
    t.teardown(() => b.stop())
    await b.joinNetwork('g1') // an observer in the network

    const restored = endpoint('e0', 'g1', 'old', '10.5.0.9')
    const c = controllerStandIn({ g1: 'global', l1: 'local' }, [
      restored,
      { ...endpoint('e-idle', 'g1', 'idle', '10.5.0.8'), sandboxId: undefined }, // not joined
    ])
    const stop = announceEndpoints({ ...c, setRemoteRecords: async () => {} }, a, logger)
    await until('the restored endpoint announced', () => keys(b, 'g1').includes('e0'))

    const sb = { id: 'sb' } as ControllerEvents['endpoint:join']['sandbox']
    const web = endpoint('e1', 'g1', 'web', '10.5.0.2')
    c.emit('endpoint:join', { endpoint: web, sandbox: sb })
    c.emit('endpoint:join', {
      endpoint: endpoint('e2', 'l1', 'local-one', '10.6.0.2'),
      sandbox: sb,
    })
    await until('web announced', () => keys(b, 'g1').includes('e1'))
    const rec = decodeEndpointRecord(
      b.entries(ENDPOINT_TABLE, 'g1').find((e) => e.key === 'e1')!.value,
    )
    t.match(rec, { name: 'web', endpointIp: '10.5.0.2', taskAliases: ['web-alias'] })
    t.same(keys(b, 'g1'), ['e0', 'e1'], 'the idle endpoint is not announced')
    t.same(
      a.networks().map((n) => n.networkId),
      ['g1'],
      'only the global network was joined',
    )

    c.emit('endpoint:leave', { endpoint: web, sandbox: sb })
    await until('web withdrawn', () => !keys(b, 'g1').includes('e1'))
    c.emit('endpoint:leave', { endpoint: restored, sandbox: sb })
    await until('all withdrawn', () => keys(b, 'g1').length === 0)
    t.same(a.networks(), [], 'the last leave left the group')
    await stop()
  },
)

t.test("another host's endpoint becomes a name in the controller's embedded DNS", async (t) => {
  // Host A: a real Controller (null driver, sandboxes in memory, service discovery with the
  // resolvers' tables kept in memory) whose network is global for the wiring.
  const dir = mkdtempSync(join(tmpdir(), 'lnt-dnet-cluster-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 192.0.2.53\n')
  // What each sandbox's resolver is told: `<network>/<name>` → { ips, alias }.
  type Names = Map<string, { ips: string[]; alias: boolean }>
  const tables = new Map<string, Names>()
  const apply = (names: Names, u: Parameters<DnsServing['update']>[1][number]) => {
    if (u.op === 'add-host') names.set(`${u.network}/${u.name}`, { ips: u.ips, alias: !!u.alias })
    if (u.op === 'remove-host') names.delete(`${u.network}/${u.name}`)
    if (u.op === 'remove-network') {
      for (const k of names.keys()) if (k.startsWith(`${u.network}/`)) names.delete(k)
    }
  }
  const dns: DnsServing = {
    serve: async (id, _ns, _up, records) => {
      const names: Names = new Map()
      for (const u of records) apply(names, u)
      tables.set(id, names)
    },
    update: async (ids, updates) => {
      for (const id of ids) for (const u of updates) apply(tables.get(id) ?? new Map(), u)
    },
    close: async (id) => void tables.delete(id),
    stop: async () => tables.clear(),
  }
  const ctl = await Controller.start({
    drivers: { null: nullDriver() },
    os: memoryOS(),
    discovery: serviceDiscovery({
      dir: join(dir, 'sb'),
      hostResolvConf: join(dir, 'resolv.conf'),
      dns,
    }),
  })
  t.teardown(() => ctl.stop())
  const net = await ctl.createNetwork({ name: 'g', driver: 'null' })
  const sb = await ctl.createSandbox({ containerId: 'c1' })
  await ctl.join((await ctl.createEndpoint('g', { name: 'here' })).id, sb.id)
  const viewA = {
    endpoints: () => [endpoint('e-here', net.id, 'here', '10.5.0.3')],
    network: (ref: string) => ({ ...ctl.network(ref), scope: 'global' as const }),
    on: ctl.on.bind(ctl),
    setRemoteRecords: ctl.setRemoteRecords.bind(ctl),
  }

  const a = clusterAgent({ bindAddress: '127.0.0.1', bindPort: 0, join: [] }, logger)
  await a.start()
  t.teardown(() => a.stop())
  const b = clusterAgent({ bindAddress: '127.0.0.1', bindPort: 0, join: [a.address] }, logger)
  await b.start()
  t.teardown(() => b.stop())
  const stopA = announceEndpoints(viewA, a, logger)
  t.teardown(stopA)
  // Host B: its container "db" (alias db-alias) joins the same global network.
  const cb = controllerStandIn({ [net.id]: 'global' }, [])
  const stopB = announceEndpoints({ ...cb, setRemoteRecords: async () => {} }, b, logger)
  t.teardown(stopB)
  const db = endpoint('e-db', net.id, 'db', '10.5.0.7')
  cb.emit('endpoint:join', {
    endpoint: db,
    sandbox: { id: 'sb-b' } as ControllerEvents['endpoint:join']['sandbox'],
  })

  const ipv4 = (name: string) => tables.get(sb.id)?.get(`g/${name}`)?.ips ?? []
  await until('db resolvable on host A', () => ipv4('db').length > 0)
  t.same(ipv4('db'), ['10.5.0.7'], 'name')
  t.same(ipv4('db-alias'), ['10.5.0.7'], 'alias')
  t.same(tables.get(sb.id)!.get('g/db')?.alias, false, 'the name has a PTR')
  t.same(tables.get(sb.id)!.get('g/db-alias')?.alias, true, 'the alias has none')

  cb.emit('endpoint:leave', {
    endpoint: db,
    sandbox: { id: 'sb-b' } as ControllerEvents['endpoint:join']['sandbox'],
  })
  await until('db gone on host A', () => ipv4('db').length === 0)
  t.same(ipv4('db-alias'), [], 'alias gone too')
})
