import t from 'tap'
import type { Test } from 'tap'
import { IP, IPNet, LibnetworkError } from '@libnetwork/types'
import { memoryStore } from '@libnetwork/datastore'
import { fakeOS, startFake } from './fakes.js'

async function rejects(t: Test, p: Promise<unknown>, name: string, category: string) {
  try {
    await p
    t.fail(`expected ${name}`)
  } catch (err) {
    t.ok(LibnetworkError.isInstance(err), 'typed error')
    t.equal((err as Error).name, name)
    t.equal((err as LibnetworkError).category, category)
  }
}

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'Controller',
    'InUseError',
    'InvalidConfigError',
    'NameConflictError',
    'ObjectNotFoundError',
    'OverlapError',
    'oslSandboxOS',
    'serviceDiscovery',
  ])
})

t.test('network, endpoint, sandbox, join, leave and back', async (t) => {
  const { c, fake, ipam, os } = await startFake()
  const events: string[] = []
  for (const e of [
    'network:create',
    'endpoint:create',
    'sandbox:create',
    'endpoint:join',
    'endpoint:leave',
    'endpoint:delete',
    'sandbox:delete',
    'network:delete',
  ] as const) {
    c.on(e, () => events.push(e))
  }
  const net = await c.createNetwork({
    name: 'net1',
    driver: 'fake',
    ipam: { config: [{ subnet: IPNet.parse('10.1.0.0/24'), gateway: IP.parse('10.1.0.254') }] },
  })
  t.equal(net.ipv4[0]!.gateway!.toString(), '10.1.0.254')
  t.equal(c.network('net1').id, net.id)
  const ep = await c.createEndpoint('net1', {
    name: 'ep1',
    portBindings: [{ protocol: 'tcp', port: 80, hostPort: 8080 }],
  })
  t.equal(ep.address!.toString(), '10.1.0.1/24')
  t.equal(ep.mac, '02:42:ac:11:00:02')
  const sb = await c.createSandbox({ containerId: 'c1', hostname: 'box' })
  t.ok(os.ns.has(sb.key!))
  await c.join(ep.id, sb.id)
  const joined = c.endpoint(ep.id)
  t.equal(joined.sandboxId, sb.id)
  t.equal(joined.ifName, 'eth0')
  t.same(
    joined.boundPorts.map((b) => b.hostPort),
    [8080],
  )
  t.equal(c.sandbox(sb.id).gatewayEndpoint, ep.id)
  t.equal(os.gateways.get(sb.key!), 'eth0')
  t.same([...os.ns.get(sb.key!)!.keys()], ['eth0'])
  await c.leave(ep.id, sb.id)
  t.same([...os.ns.get(sb.key!)!.keys()], [])
  t.equal(c.endpoint(ep.id).sandboxId, undefined)
  await c.deleteEndpoint(ep.id)
  await c.deleteSandbox(sb.id)
  await c.deleteNetwork(net.id)
  t.same(c.networks(), [], 'gone from the view at once')
  await c.settled() // the driver, the pools and the record follow in the background
  t.equal(os.ns.size, 0)
  t.equal(fake.networks.size + fake.endpoints.size + fake.joined.size, 0)
  t.equal(ipam.used.size, 0)
  t.same(events, [
    'network:create',
    'endpoint:create',
    'sandbox:create',
    'endpoint:join',
    'endpoint:leave',
    'endpoint:delete',
    'sandbox:delete',
    'network:delete',
  ])
})

t.test('bad input gives typed errors and leaves state unchanged', async (t) => {
  const { c, fake, ipam, os, store } = await startFake()
  await c.createNetwork({
    name: 'a',
    driver: 'fake',
    ipam: { config: [{ subnet: IPNet.parse('10.2.0.0/16') }] },
  })
  const before = JSON.stringify(await store.list(''))
  await rejects(
    t,
    c.createNetwork({ name: 'x', driver: 'nope' }),
    'ObjectNotFoundError',
    'not-found',
  )
  await rejects(t, c.createNetwork({ name: 'a', driver: 'fake' }), 'NameConflictError', 'conflict')
  await rejects(
    t,
    c.createNetwork({
      name: 'b',
      driver: 'fake',
      ipam: { config: [{ subnet: IPNet.parse('10.2.3.0/24') }] },
    }),
    'OverlapError',
    'conflict',
  )
  await rejects(
    t,
    c.createNetwork({ name: 'bad name!', driver: 'fake' }),
    'InvalidConfigError',
    'bad-request',
  )
  await rejects(
    t,
    c.createNetwork({
      name: 'g',
      driver: 'fake',
      ipam: { config: [{ subnet: IPNet.parse('10.3.0.0/24'), gateway: IP.parse('10.4.0.1') }] },
    }),
    'InvalidConfigError',
    'bad-request',
  )
  await rejects(
    t,
    c.createNetwork({ name: 'i', driver: 'fake', ipam: { driver: 'missing' } }),
    'ObjectNotFoundError',
    'not-found',
  )
  await rejects(
    t,
    c.createEndpoint('a', { name: 'e', mac: 'zz' }),
    'InvalidConfigError',
    'bad-request',
  )
  await rejects(
    t,
    c.createEndpoint('a', { name: 'e', portBindings: [{ protocol: 'tcp', port: 0 }] }),
    'BadRequestError',
    'bad-request',
  )
  await rejects(
    t,
    c.createEndpoint('a', { name: 'e', ipv4Address: IP.parse('10.9.0.1') }),
    'InvalidConfigError',
    'bad-request',
  )
  await rejects(t, c.createEndpoint('nonet', { name: 'e' }), 'ObjectNotFoundError', 'not-found')
  await rejects(t, c.createSandbox({ containerId: '' }), 'InvalidConfigError', 'bad-request')
  t.equal(JSON.stringify(await store.list('')), before, 'store unchanged')
  t.equal(fake.networks.size, 1)
  t.equal(
    [...ipam.used.values()].reduce((n, s) => n + s.size, 0),
    1,
    'only the gateway is allocated',
  )
  t.equal(os.ns.size, 0)

  const ep = await c.createEndpoint('a', { name: 'e1' })
  await rejects(t, c.createEndpoint('a', { name: 'e1' }), 'NameConflictError', 'conflict')
  await rejects(t, c.deleteNetwork('a'), 'InUseError', 'forbidden')
  const sb = await c.createSandbox({ containerId: 'c1' })
  await rejects(t, c.createSandbox({ containerId: 'c1' }), 'NameConflictError', 'conflict')
  await c.join(ep.id, sb.id)
  await rejects(t, c.join(ep.id, sb.id), 'ConflictError', 'conflict')
  await rejects(t, c.deleteEndpoint(ep.id), 'InUseError', 'forbidden')
  await c.leave(ep.id, sb.id)
  await rejects(t, c.leave(ep.id, sb.id), 'ConflictError', 'conflict')
  await c.deleteEndpoint(ep.id)
  await rejects(t, c.join(ep.id, sb.id), 'ObjectNotFoundError', 'not-found')
  t.equal(c.sandbox(sb.id).endpoints.length, 0)
})

t.test('a failing driver step undoes everything before it', async (t) => {
  const { c, fake, ipam, os, store } = await startFake()
  fake.failOn.add('createNetwork')
  await t.rejects(c.createNetwork({ name: 'n', driver: 'fake' }), /injected/)
  t.equal(ipam.used.size, 0, 'pool released')
  fake.failOn.clear()
  await c.createNetwork({ name: 'n', driver: 'fake' })
  fake.failOn.add('createEndpoint')
  await t.rejects(c.createEndpoint('n', { name: 'e' }), /injected/)
  t.equal([...ipam.used.values()][0]!.size, 1, 'endpoint address released')
  fake.failOn.clear()
  const ep = await c.createEndpoint('n', {
    name: 'e',
    portBindings: [{ protocol: 'tcp', port: 80 }],
  })
  const sb = await c.createSandbox({ containerId: 'c' })
  const before = JSON.stringify(await store.list(''))
  fake.failOn.add('programExternalConnectivity')
  await t.rejects(c.join(ep.id, sb.id), /injected/)
  t.equal(JSON.stringify(await store.list('')), before, 'store unchanged')
  t.equal(fake.joined.size, 0, 'driver left')
  t.same([...os.ns.get(sb.key!)!.keys()], [], 'interface removed')
  t.equal(os.gateways.get(sb.key!), undefined, 'gateway reset')
  t.equal(c.endpoint(ep.id).sandboxId, undefined)
  fake.failOn.clear()
  await c.join(ep.id, sb.id)
  t.equal(c.endpoint(ep.id).ifName, 'eth0')
})

t.test('two networks in one sandbox: gateway priority and order', async (t) => {
  const { c, os } = await startFake()
  await c.createNetwork({ name: 'n1', driver: 'fake' })
  await c.createNetwork({ name: 'n2', driver: 'fake' })
  await c.createNetwork({ name: 'int', driver: 'fake', internal: true })
  const sb = await c.createSandbox({ containerId: 'c' })
  const e0 = await c.createEndpoint('int', { name: 'e0' })
  const e1 = await c.createEndpoint('n1', { name: 'e1' })
  const e2 = await c.createEndpoint('n2', { name: 'e2' })
  await c.join(e0.id, sb.id)
  t.equal(c.sandbox(sb.id).gatewayEndpoint, undefined, 'internal network gives no gateway')
  await c.join(e1.id, sb.id)
  t.equal(c.sandbox(sb.id).gatewayEndpoint, e1.id)
  await c.join(e2.id, sb.id, { gwPriority: 10 })
  t.equal(c.sandbox(sb.id).gatewayEndpoint, e2.id)
  t.equal(os.gateways.get(sb.key!), 'eth2')
  const e1b = await c.createEndpoint('n1', { name: 'e1b' })
  await rejects(t, c.join(e1b.id, sb.id), 'ConflictError', 'conflict')
  await c.leave(e2.id, sb.id)
  t.equal(c.sandbox(sb.id).gatewayEndpoint, e1.id)
  t.equal(os.gateways.get(sb.key!), 'eth1')
  await c.deleteSandbox(sb.id)
  t.equal(c.endpoint(e1.id).sandboxId, undefined, 'deleting the sandbox left its endpoints')
  t.equal(os.ns.size, 0)
})

t.test('restart on the same store restores state; new allocations do not collide', async (t) => {
  const store = memoryStore()
  const os = fakeOS()
  const a = await startFake(store, os)
  const net = await a.c.createNetwork({
    name: 'n',
    driver: 'fake',
    ipam: { config: [{ subnet: IPNet.parse('10.5.0.0/24') }] },
  })
  const e1 = await a.c.createEndpoint('n', { name: 'e1' })
  const sb = await a.c.createSandbox({ containerId: 'c1' })
  await a.c.join(e1.id, sb.id)
  await a.c.stop()

  const b = await startFake(store, os)
  t.same(b.c.restoreSummary.repaired, [])
  t.equal(b.c.network('n').id, net.id)
  t.equal(b.c.endpoint(e1.id).sandboxId, sb.id)
  t.equal(b.c.endpoint(e1.id).address!.toString(), '10.5.0.2/24')
  t.equal(b.fake.restored, 1)
  t.ok(b.fake.joined.has(e1.id), 'driver told the endpoint is joined')
  const e2 = await b.c.createEndpoint('n', { name: 'e2' })
  t.equal(e2.address!.toString(), '10.5.0.3/24', 'next free address, not a reused one')
  await rejects(
    t,
    b.c.createNetwork({
      name: 'n2',
      driver: 'fake',
      ipam: { config: [{ subnet: IPNet.parse('10.5.0.0/25') }] },
    }),
    'OverlapError',
    'conflict',
  )
  await b.c.leave(e1.id, sb.id)
  await b.c.join(e1.id, sb.id)
  t.equal(b.c.endpoint(e1.id).ifName, 'eth0')
})

t.test('restore removes stale namespaces and half-joined state', async (t) => {
  const store = memoryStore()
  const os = fakeOS()
  const a = await startFake(store, os)
  await a.c.createNetwork({ name: 'n', driver: 'fake' })
  const e1 = await a.c.createEndpoint('n', { name: 'e1' })
  const sb = await a.c.createSandbox({ containerId: 'c1' })
  // A crash mid-join: the interface is in the sandbox, the records say "not joined".
  await os.addInterface(sb.key!, { srcName: 'x', dstName: 'eth0', routes: [] })
  // A crash mid-createSandbox: a namespace without a record.
  await os.create('lnsb-deadbeef0000')
  await os.create('other-ns')
  const b = await startFake(store, os)
  t.same(b.c.restoreSummary.repaired.sort(), [
    'namespace lnsb-deadbeef0000: no sandbox record, removed',
    'sandbox c1: stray interface eth0 removed',
  ])
  t.same([...os.ns.keys()].sort(), [sb.key!, 'other-ns'].sort())
  t.same([...os.ns.get(sb.key!)!.keys()], [])
  await b.c.join(e1.id, sb.id)
  t.equal(b.c.endpoint(e1.id).ifName, 'eth0')
  // The sandbox's namespace vanishes while the controller is down.
  await b.c.stop()
  await os.destroy(sb.key!)
  const c = await startFake(store, os)
  t.same(c.c.restoreSummary.repaired, [
    'sandbox c1: namespace gone, removed',
    'endpoint e1: half-joined state cleared',
  ])
  t.equal(c.c.endpoint(e1.id).sandboxId, undefined)
  await c.c.deleteEndpoint(e1.id)
  await c.c.deleteNetwork('n')
  await c.c.settled()
  t.equal(c.ipam.used.size, 0)
})

t.test('records are JSON documents under a prefix of the key-value store', async (t) => {
  const kv = memoryStore()
  const os = fakeOS()
  const { Controller } = await import('../src/index.js')
  const { fakeDriver, fakeIpam, shared } = await import('./fakes.js')
  const start = () =>
    Controller.start({
      drivers: { fake: fakeDriver().factory },
      ipams: { default: fakeIpam },
      store: shared(kv),
      storePrefix: 'x/',
      os,
    })
  const a = await start()
  await a.createNetwork({
    name: 'n',
    driver: 'fake',
    ipam: { config: [{ subnet: IPNet.parse('10.8.0.0/24') }] },
  })
  const keys = (await kv.list('')).map((e) => e.key)
  t.equal(keys.length, 1)
  t.match(keys[0], /^x\/network\/[0-9a-f]{64}$/)
  t.equal(a.network('n').scope, 'local', 'the fake driver is local-scope')
  await a.stop()
  const b = await start()
  t.equal(b.network('n').ipv4[0]!.subnet.toString(), '10.8.0.0/24')
  await b.deleteNetwork('n')
  await b.settled()
  t.same(await kv.list(''), [])
  await b.stop()
})

t.test('endpointOf finds an endpoint of one network by id, name or prefix', async (t) => {
  const { c } = await startFake()
  await c.createNetwork({ name: 'n1', driver: 'fake' })
  const n2 = await c.createNetwork({ name: 'n2', driver: 'fake' })
  const a = await c.createEndpoint('n1', { name: 'web' })
  const b = await c.createEndpoint('n2', { name: 'web' })
  t.equal(c.endpointOf('n1', 'web').id, a.id, 'by name, in its own network')
  t.equal(c.endpointOf(n2.id, 'web').id, b.id, 'the network by id')
  t.equal(c.endpointOf('n1', a.id).name, 'web', 'by id')
  t.equal(c.endpointOf('n1', a.id.slice(0, 8)).id, a.id, 'by id prefix')
  const copy = c.endpointOf('n1', 'web')
  copy.aliases.push('changed')
  t.same(c.endpointOf('n1', 'web').aliases, [], 'a copy: the controller is unchanged')
  for (const [net, ref] of [
    ['n1', b.id], // another network's endpoint
    ['n1', 'nope'],
    ['n1', a.id.slice(0, 5)], // a prefix too short
  ]) {
    t.throws(() => c.endpointOf(net!, ref!), { name: 'ObjectNotFoundError' }, `${net} ${ref}`)
  }
  t.throws(() => c.endpointOf('nope', 'web'), { name: 'ObjectNotFoundError' })
})
