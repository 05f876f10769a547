// The way out (upstream's docker_gwbridge) with the fakes: a sandbox whose joined networks give
// no gateway but need one (an overlay-like driver) also joins a local bridge network made on
// demand, which gives the default route and the published ports; it leaves (the endpoint is
// deleted, the network stays) when that need ends.
import t from 'tap'
import { memoryStore, type KVStore } from '@libnetwork/datastore'
import type { Driver, DriverFactory } from '@libnetwork/driverapi'
import { Controller } from '../src/index.js'
import { fakeDriver, fakeDriverState, fakeIpam, fakeOS, shared, type FakeOS } from './fakes.js'

/** A driver whose joins give no gateway, so the sandbox needs one elsewhere (as the overlay's). */
function gatewayless(disable = false): {
  factory: DriverFactory
  state: ReturnType<typeof fakeDriverState>
} {
  const inner = fakeDriver('ov')
  return {
    state: inner.state,
    factory: (c) => {
      const d = inner.factory(c)
      const wrapped: Driver = {
        ...d,
        capability: d.capability,
        type: d.type,
        join: async (req, o) => {
          const r = await d.join(req, o)
          return { ...r, gateway: undefined, disableGatewayService: disable }
        },
      }
      return wrapped
    },
  }
}

async function start(store: KVStore = memoryStore(), os: FakeOS = fakeOS(), failOn: string[] = []) {
  const bridge = fakeDriver('bridge', fakeDriverState(failOn))
  const ov = gatewayless()
  const c = await Controller.start({
    drivers: {
      bridge: bridge.factory,
      ov: ov.factory,
      fake: fakeDriver('fake').factory,
      nogw: gatewayless(true).factory,
    },
    ipams: { default: () => fakeIpam() },
    store: shared(store),
    os,
  })
  return { c, os, store, bridge: bridge.state, ov: ov.state }
}

const gwEndpoints = (c: Controller) =>
  c.networks().some((n) => n.name === 'docker_gwbridge') ? c.endpoints('docker_gwbridge') : []

t.test(
  'an overlay-like join brings the gateway network; the last leave removes its endpoint',
  async (t) => {
    const { c, os, bridge } = await start()
    await c.createNetwork({ name: 'ov1', driver: 'ov' })
    await c.createNetwork({ name: 'ov2', driver: 'ov' })
    const sb = await c.createSandbox({ containerId: 'c1' })
    const e1 = await c.createEndpoint('ov1', {
      name: 'e1',
      portBindings: [{ protocol: 'tcp', port: 80, hostPort: 8080 }],
    })
    await c.join(e1.id, sb.id)

    const gwNet = c.network('docker_gwbridge')
    t.equal(gwNet.driver, 'bridge')
    t.same(gwNet.options, {
      'com.docker.network.bridge.name': 'docker_gwbridge',
      'com.docker.network.bridge.enable_icc': 'false',
      'com.docker.network.bridge.enable_ip_masquerade': 'true',
    })
    const [gw] = gwEndpoints(c)
    t.equal(gw?.name, `gateway_${sb.id.slice(0, 12)}`)
    t.equal(gw?.sandboxId, sb.id, 'joined to the sandbox')
    t.same(c.sandbox(sb.id).endpoints, [e1.id, gw!.id])
    t.equal(c.sandbox(sb.id).gatewayEndpoint, gw!.id, 'the default route is the gateway endpoint’s')
    t.equal(os.gateways.get(sb.key!), 'eth1')
    t.same(gw!.portBindings, e1.portBindings, 'the published ports go through it')
    t.same(
      gw!.boundPorts.map((b) => b.hostPort),
      [8080],
    )
    t.ok(bridge.calls.includes('programExternalConnectivity'))

    // a second overlay: still one gateway endpoint
    const e2 = await c.createEndpoint('ov2', { name: 'e2' })
    await c.join(e2.id, sb.id)
    t.equal(gwEndpoints(c).length, 1)
    await c.leave(e1.id, sb.id)
    t.equal(gwEndpoints(c).length, 1, 'kept while an overlay endpoint is joined')
    await c.leave(e2.id, sb.id)
    await c.settled()
    t.same(gwEndpoints(c), [], 'the last leave deletes the gateway endpoint')
    t.ok(c.network('docker_gwbridge'), 'the network stays, as upstream')
    t.same(c.sandbox(sb.id).endpoints, [])
    t.equal(c.sandbox(sb.id).gatewayEndpoint, undefined)
    t.equal(os.gateways.get(sb.key!), undefined, 'no default route')
    t.same([...bridge.joined], [])
    await c.stop()
  },
)

t.test('an internal overlay gets no gateway network', async (t) => {
  const { c, os } = await start()
  await c.createNetwork({ name: 'ov1', driver: 'ov', internal: true })
  const sb = await c.createSandbox({ containerId: 'c1' })
  const e1 = await c.createEndpoint('ov1', { name: 'e1' })
  await c.join(e1.id, sb.id)
  t.notOk(
    c.networks().some((n) => n.name === 'docker_gwbridge'),
    'no gateway network',
  )
  t.same(c.sandbox(sb.id).endpoints, [e1.id])
  t.equal(os.gateways.get(sb.key!), undefined, 'no default route')
  await c.stop()
})

t.test(
  'an endpoint whose driver disables the gateway service gets no gateway network',
  async (t) => {
    // upstream's DisableGatewayService (a remote plugin may set it): no docker_gwbridge for it
    const { c, os } = await start()
    await c.createNetwork({ name: 'n1', driver: 'nogw' })
    const sb = await c.createSandbox({ containerId: 'c1' })
    const e1 = await c.createEndpoint('n1', { name: 'e1' })
    await c.join(e1.id, sb.id)
    t.notOk(
      c.networks().some((n) => n.name === 'docker_gwbridge'),
      'no gateway network',
    )
    t.same(c.sandbox(sb.id).endpoints, [e1.id])
    t.equal(os.gateways.get(sb.key!), undefined, 'no default route')
    await c.stop()
  },
)

t.test('a network that gives a gateway makes the gateway endpoint go, and come back', async (t) => {
  const { c, os } = await start()
  await c.createNetwork({ name: 'ov1', driver: 'ov' })
  await c.createNetwork({ name: 'br', driver: 'fake' })
  const sb = await c.createSandbox({ containerId: 'c1' })
  const e1 = await c.createEndpoint('ov1', { name: 'e1' })
  const b1 = await c.createEndpoint('br', { name: 'b1' })
  await c.join(e1.id, sb.id)
  t.equal(gwEndpoints(c).length, 1)
  await c.join(b1.id, sb.id)
  await c.settled()
  t.same(gwEndpoints(c), [], 'the bridge network gives the way out now')
  t.same(c.sandbox(sb.id).endpoints, [e1.id, b1.id])
  t.equal(c.sandbox(sb.id).gatewayEndpoint, b1.id)
  t.equal(os.gateways.get(sb.key!), c.endpoint(b1.id).ifName)
  await c.leave(b1.id, sb.id)
  const [gw] = gwEndpoints(c)
  t.equal(gw?.sandboxId, sb.id, 'back when the bridge endpoint leaves')
  t.equal(c.sandbox(sb.id).gatewayEndpoint, gw!.id)

  // joined to a gateway-giving network first: no gateway endpoint at all
  const sb2 = await c.createSandbox({ containerId: 'c2' })
  const b2 = await c.createEndpoint('br', { name: 'b2' })
  const e2 = await c.createEndpoint('ov1', { name: 'e2' })
  await c.join(b2.id, sb2.id)
  await c.join(e2.id, sb2.id)
  t.same(c.sandbox(sb2.id).endpoints, [b2.id, e2.id])
  await c.stop()
})

t.test('deleting the sandbox deletes its gateway endpoint, once', async (t) => {
  const { c, bridge } = await start()
  await c.createNetwork({ name: 'ov1', driver: 'ov' })
  const sb = await c.createSandbox({ containerId: 'c1' })
  const e1 = await c.createEndpoint('ov1', { name: 'e1' })
  await c.join(e1.id, sb.id)
  const joins = bridge.calls.filter((x) => x === 'join').length
  await c.deleteSandbox(sb.id)
  await c.settled()
  t.same(gwEndpoints(c), [])
  t.equal(bridge.calls.filter((x) => x === 'join').length, joins, 'not joined again on the way')
  t.same([...bridge.endpoints], [])
  t.ok(c.network('docker_gwbridge'))
  t.equal(c.endpoint(e1.id).sandboxId, undefined)
  await c.stop()
})

t.test('no way out: the join fails and nothing changes', async (t) => {
  const { c, os, ov } = await start(memoryStore(), fakeOS(), ['join'])
  await c.createNetwork({ name: 'ov1', driver: 'ov' })
  const sb = await c.createSandbox({ containerId: 'c1' })
  const e1 = await c.createEndpoint('ov1', { name: 'e1' })
  await t.rejects(c.join(e1.id, sb.id), /injected failure in join/)
  await c.settled()
  t.equal(c.endpoint(e1.id).sandboxId, undefined, 'the overlay endpoint is not joined')
  t.same(c.sandbox(sb.id).endpoints, [])
  t.same(gwEndpoints(c), [], 'no gateway endpoint left')
  t.same([...ov.joined], [])
  t.same([...os.ns.get(sb.key!)!.keys()], [], 'no interface left')
  await c.stop()
})

t.test('after a restart the gateway endpoint still follows the overlay endpoints', async (t) => {
  const store = memoryStore()
  const os = fakeOS()
  const first = await start(store, os)
  await first.c.createNetwork({ name: 'ov1', driver: 'ov' })
  await first.c.createNetwork({ name: 'br', driver: 'fake' })
  const sb = await first.c.createSandbox({ containerId: 'c1' })
  const e1 = await first.c.createEndpoint('ov1', { name: 'e1' })
  await first.c.join(e1.id, sb.id)
  await first.c.stop()

  const { c } = await start(store, os)
  t.equal(gwEndpoints(c).length, 1)
  t.equal(c.sandbox(sb.id).gatewayEndpoint, gwEndpoints(c)[0]!.id)
  // the restored overlay endpoint gives no gateway: a bridge join still takes over
  const b1 = await c.createEndpoint('br', { name: 'b1' })
  await c.join(b1.id, sb.id)
  t.same(gwEndpoints(c), [])
  await c.leave(b1.id, sb.id)
  t.equal(gwEndpoints(c).length, 1)
  await c.leave(e1.id, sb.id)
  await c.settled()
  t.same(gwEndpoints(c), [], 'the last overlay leave removes it')
  await c.stop()
})

t.test('an endpoint a user joins to docker_gwbridge is theirs: never removed', async (t) => {
  const { c } = await start()
  await c.createNetwork({ name: 'docker_gwbridge', driver: 'bridge' })
  await c.createNetwork({ name: 'ov1', driver: 'ov' })
  const sb = await c.createSandbox({ containerId: 'c1' })
  const mine = await c.createEndpoint('docker_gwbridge', { name: 'mine' })
  const e1 = await c.createEndpoint('ov1', { name: 'e1' })
  await c.join(mine.id, sb.id)
  await c.join(e1.id, sb.id)
  t.same(c.sandbox(sb.id).endpoints, [mine.id, e1.id], 'it gives the way out: none is added')
  await c.leave(e1.id, sb.id)
  t.equal(c.endpoint(mine.id).sandboxId, sb.id, 'still joined')
  t.same(
    gwEndpoints(c).map((e) => e.name),
    ['mine'],
  )
  await c.stop()
})
