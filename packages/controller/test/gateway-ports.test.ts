// The gateway endpoint (docker_gwbridge) with the fakes, part two: its published ports follow
// the endpoints it serves (one joined with ports after the gateway endpoint exists, one that
// leaves), a refused port set changes nothing, and a restart after a kill between an overlay
// join (or leave) and the gateway endpoint's join (or leave) puts the gateway endpoint right.
import t from 'tap'
import { memoryStore, type KVStore } from '@libnetwork/datastore'
import type { Driver, DriverFactory, PortBinding } from '@libnetwork/driverapi'
import { Controller } from '../src/index.js'
import { keepBoundPorts } from '../src/gateway.js'
import { ConflictError, IP } from '@libnetwork/types'
import {
  fakeDriver,
  fakeDriverState,
  fakeIpam,
  fakeOS,
  readRecord,
  shared,
  type FakeDriverState,
  type FakeOS,
} from './fakes.js'

/** What a wrapped driver saw and does: the port sets it was asked to publish, steps that hang. */
interface Spy {
  published: PortBinding[][]
  /** Methods that never answer (a daemon killed in the middle of them). */
  hang: Set<string>
  /** Host ports taken by someone else: a set asking for one is refused. */
  taken: Set<number>
}

/** Poll the store (no clock: one check per turn of the loop) until `rec` matches, bounded. */
async function untilRecord(
  store: KVStore,
  key: string,
  ok: (rec: Record<string, unknown> | undefined) => boolean,
  what: string,
): Promise<void> {
  const deadline = Date.now() + 60_000
  while (!ok(await readRecord(store, key))) {
    if (Date.now() > deadline) throw new Error(`waited 60 s for ${what}`)
    await new Promise((r) => setImmediate(r))
  }
}

function spied(inner: { factory: DriverFactory }, spy: Spy, gatewayless = false): DriverFactory {
  return (c) => {
    const d = inner.factory(c)
    const never = () => new Promise<never>(() => undefined)
    const w: Driver = {
      ...d,
      capability: d.capability,
      type: d.type,
      createNetwork: (req, o) =>
        spy.hang.has('createNetwork') ? never() : d.createNetwork(req, o),
      join: async (req, o) => {
        if (spy.hang.has('join')) return never()
        const r = await d.join(req, o)
        return gatewayless ? { ...r, gateway: undefined } : r
      },
      programExternalConnectivity: (req, o) => {
        const ports = req.options.portBindings ?? []
        spy.published.push(ports)
        const taken = ports.find((b) => spy.taken.has(b.hostPort ?? 0))
        if (taken) throw new ConflictError('port-in-use', `host port ${taken.hostPort} is in use`)
        return d.programExternalConnectivity(req, o)
      },
      revokeExternalConnectivity: (req, o) =>
        spy.hang.has('revokeExternalConnectivity') ? never() : d.revokeExternalConnectivity(req, o),
    }
    return w
  }
}

async function start(
  store: KVStore = memoryStore(),
  os: FakeOS = fakeOS(),
  bridgeState: FakeDriverState = fakeDriverState(),
) {
  const spy: Spy = { published: [], hang: new Set(), taken: new Set() }
  const ovSpy: Spy = { published: [], hang: new Set(), taken: new Set() }
  const c = await Controller.start({
    drivers: {
      bridge: spied(fakeDriver('bridge', bridgeState), spy),
      ov: spied(fakeDriver('ov'), ovSpy, true),
    },
    ipams: { default: () => fakeIpam() },
    store: shared(store),
    os,
  })
  return { c, os, store, bridge: bridgeState, spy, ovSpy }
}

const tcp = (port: number, hostPort?: number): PortBinding => ({
  protocol: 'tcp',
  port,
  ...(hostPort !== undefined ? { hostPort } : {}),
})

const gwEndpoint = (c: Controller) =>
  c.networks().some((n) => n.name === 'docker_gwbridge')
    ? c.endpoints('docker_gwbridge')[0]
    : undefined

/** Overlay networks ov1 and ov2, and a sandbox for container c1. */
async function sandboxOnTwoOverlays(c: Controller) {
  await c.createNetwork({ name: 'ov1', driver: 'ov' })
  await c.createNetwork({ name: 'ov2', driver: 'ov' })
  return c.createSandbox({ containerId: 'c1' })
}

t.test('ports of an endpoint joined after the gateway endpoint exists are published', async (t) => {
  const { c, bridge, spy } = await start()
  const sb = await sandboxOnTwoOverlays(c)
  const e1 = await c.createEndpoint('ov1', { name: 'e1', portBindings: [tcp(80, 0)] })
  await c.join(e1.id, sb.id)
  const gw1 = gwEndpoint(c)!
  t.same(
    gw1.boundPorts.map((b) => b.hostPort),
    [32768],
    'e1’s port is published on the gateway endpoint (a picked host port)',
  )

  const e2 = await c.createEndpoint('ov2', {
    name: 'e2',
    portBindings: [tcp(81, 8081)],
    exposedPorts: [{ protocol: 'tcp', port: 81 }],
  })
  const revokes = bridge.calls.filter((x) => x === 'revokeExternalConnectivity').length
  await c.join(e2.id, sb.id)
  const gw2 = gwEndpoint(c)!
  t.equal(gw2.id, gw1.id, 'the same gateway endpoint')
  t.same(gw2.portBindings, [tcp(80, 0), tcp(81, 8081)], 'it carries the ports of both')
  t.same(gw2.exposedPorts, [{ protocol: 'tcp', port: 81 }])
  t.same(
    gw2.boundPorts.map((b) => `${b.port}->${b.hostPort}`),
    ['80->32768', '81->8081'],
  )
  t.equal(
    bridge.calls.filter((x) => x === 'revokeExternalConnectivity').length,
    revokes + 1,
    'the old set was revoked before the new one was published',
  )
  t.same(
    spy.published.at(-1),
    [{ ...tcp(80, 32768), hostPortEnd: 32768 }, tcp(81, 8081)],
    'the picked host port of e1 is asked for again, not picked anew',
  )
  await c.leave(e2.id, sb.id)
  const gw3 = gwEndpoint(c)!
  t.same(gw3.portBindings, [tcp(80, 0)], 'e2’s ports go with its leave')
  t.same(
    gw3.boundPorts.map((b) => `${b.port}->${b.hostPort}`),
    ['80->32768'],
  )
  await c.leave(e1.id, sb.id)
  await c.settled()
  t.equal(gwEndpoint(c), undefined)
  await c.stop()
})

t.test('the published ports survive a restart in the gateway endpoint’s record', async (t) => {
  const store = memoryStore()
  const os = fakeOS()
  const first = await start(store, os)
  const sb = await sandboxOnTwoOverlays(first.c)
  const e1 = await first.c.createEndpoint('ov1', { name: 'e1' })
  const e2 = await first.c.createEndpoint('ov2', { name: 'e2', portBindings: [tcp(81, 8081)] })
  await first.c.join(e1.id, sb.id)
  await first.c.join(e2.id, sb.id)
  const gw = gwEndpoint(first.c)!
  t.same(
    (await readRecord(store, `endpoint/${gw.id}`))?.portBindings,
    [{ protocol: 'tcp', port: 81, hostPort: 8081 }],
    'stored',
  )
  await first.c.stop()
  const { c } = await start(store, os)
  t.same(c.restoreSummary.repaired, [], 'nothing to repair')
  t.same(
    gwEndpoint(c)!.boundPorts.map((b) => b.hostPort),
    [8081],
  )
  await c.leave(e2.id, sb.id)
  t.same(gwEndpoint(c)!.portBindings, [], 'a leave after the restart takes them away')
  await c.stop()
})

t.test('a port set the driver refuses fails the join and keeps the old ports', async (t) => {
  const { c, spy, os } = await start()
  const sb = await sandboxOnTwoOverlays(c)
  const e1 = await c.createEndpoint('ov1', { name: 'e1', portBindings: [tcp(80, 8080)] })
  await c.join(e1.id, sb.id)
  const gw = gwEndpoint(c)!
  const ifaces = [...os.ns.get(sb.key!)!.keys()]

  const e2 = await c.createEndpoint('ov2', { name: 'e2', portBindings: [tcp(81, 8081)] })
  const published = spy.published.length
  spy.taken.add(8081)
  await t.rejects(c.join(e2.id, sb.id), { name: 'ConflictError', code: 'port-in-use' })
  await c.settled()
  t.same(
    spy.published.slice(published),
    [[tcp(80, 8080), tcp(81, 8081)], [tcp(80, 8080)]],
    'the new set was refused, the old one published again',
  )
  t.equal(c.endpoint(e2.id).sandboxId, undefined, 'e2 is not joined')
  const after = c.endpoint(gw.id)
  t.equal(after.sandboxId, sb.id, 'the gateway endpoint stays')
  t.same(after.portBindings, [tcp(80, 8080)], 'with the old ports')
  t.same(
    after.boundPorts.map((b) => b.hostPort),
    [8080],
  )
  t.same([...os.ns.get(sb.key!)!.keys()], ifaces, 'no interface of e2 left')
  await c.stop()
})

t.test('keepBoundPorts asks again for picked host ports only', async (t) => {
  const bound = [
    {
      protocol: 'tcp' as const,
      port: 80,
      hostIP: IP.parse('0.0.0.0'),
      hostPort: 32770,
      containerIP: IP.parse('172.18.0.2'),
    },
    {
      protocol: 'udp' as const,
      port: 53,
      hostIP: IP.parse('0.0.0.0'),
      hostPort: 5301,
      containerIP: IP.parse('172.18.0.2'),
    },
  ]
  t.same(keepBoundPorts([tcp(80)], bound), [{ ...tcp(80, 32770), hostPortEnd: 32770 }], 'picked')
  t.same(keepBoundPorts([tcp(80, 8080)], bound), [tcp(80, 8080)], 'a fixed port stays')
  t.same(
    keepBoundPorts([{ protocol: 'udp', port: 53, hostPort: 5300, hostPortEnd: 5310 }], bound),
    [{ protocol: 'udp', port: 53, hostPort: 5301, hostPortEnd: 5301 }],
    'a range keeps the port it got',
  )
  t.same(
    keepBoundPorts([{ protocol: 'udp', port: 53, hostPort: 6000, hostPortEnd: 6010 }], bound),
    [{ protocol: 'udp', port: 53, hostPort: 6000, hostPortEnd: 6010 }],
    'a bound port outside the range is not taken',
  )
  t.same(keepBoundPorts([tcp(81)], bound), [tcp(81)], 'nothing bound: picks anew')
  t.same(
    keepBoundPorts([tcp(80), tcp(80)], bound),
    [{ ...tcp(80, 32770), hostPortEnd: 32770 }, tcp(80)],
    'a bound port goes to one binding',
  )
})

t.test('a kill between the overlay join and the gateway join: restore adds it', async (t) => {
  for (const step of ['createNetwork', 'join'] as const) {
    await t.test(`killed in the gateway network's ${step}`, async (t) => {
      const store = memoryStore()
      const os = fakeOS()
      const first = await start(store, os)
      await first.c.createNetwork({ name: 'ov1', driver: 'ov' })
      const sb = await first.c.createSandbox({ containerId: 'c1' })
      const e1 = await first.c.createEndpoint('ov1', {
        name: 'e1',
        portBindings: [tcp(80, 8080)],
      })
      first.spy.hang.add(step)
      // the "kill": the join never answers, and the first controller is dropped, not stopped
      void first.c.join(e1.id, sb.id)
      await untilRecord(
        store,
        `endpoint/${e1.id}`,
        (r) => r?.sandboxId === sb.id,
        'the overlay join to be stored',
      )
      t.match(
        await readRecord(store, `endpoint/${e1.id}`),
        { sandboxId: sb.id, gatewayRole: 'needs' },
        'the overlay join is stored, with its need of a gateway',
      )
      const gwBefore = (await store.list('libnetwork/controller/v1/endpoint/')).length
      t.equal(gwBefore, step === 'join' ? 2 : 1, 'the gateway endpoint was made only before a join')

      const { c, bridge } = await start(store, os)
      const gw = gwEndpoint(c)
      t.ok(gw, 'restore made the gateway endpoint')
      t.equal(gw?.sandboxId, sb.id, 'joined to the sandbox')
      t.same(c.sandbox(sb.id).endpoints, [e1.id, gw!.id])
      t.equal(c.sandbox(sb.id).gatewayEndpoint, gw!.id, 'it gives the default route')
      t.equal(os.gateways.get(sb.key!), c.endpoint(gw!.id).ifName)
      t.same(
        gw!.boundPorts.map((b) => b.hostPort),
        [8080],
        'with the overlay endpoint’s ports',
      )
      t.match(c.restoreSummary.repaired, ['sandbox c1: gateway endpoint added'])
      t.equal(c.endpoints('docker_gwbridge').length, 1, 'one gateway endpoint (a made one reused)')
      t.ok(bridge.joined.has(gw!.id))

      await c.leave(e1.id, sb.id)
      await c.settled()
      t.equal(gwEndpoint(c), undefined, 'and it still goes with the last overlay leave')
      await c.stop()
    })
  }
})

t.test('a kill between the overlay leave and the gateway leave: restore removes it', async (t) => {
  const store = memoryStore()
  const os = fakeOS()
  const first = await start(store, os)
  await first.c.createNetwork({ name: 'ov1', driver: 'ov' })
  const sb = await first.c.createSandbox({ containerId: 'c1' })
  const e1 = await first.c.createEndpoint('ov1', { name: 'e1', portBindings: [tcp(80, 8080)] })
  await first.c.join(e1.id, sb.id)
  const gw = gwEndpoint(first.c)!
  first.spy.hang.add('revokeExternalConnectivity')
  void first.c.leave(e1.id, sb.id)
  await untilRecord(
    store,
    `endpoint/${e1.id}`,
    (r) => r !== undefined && r.sandboxId === undefined,
    'the overlay leave to be stored',
  )
  t.equal(
    (await readRecord(store, `endpoint/${gw.id}`))?.sandboxId,
    sb.id,
    'the gateway endpoint is still joined in the store',
  )

  const { c, bridge } = await start(store, os)
  await c.settled()
  t.equal(gwEndpoint(c), undefined, 'restore left and deleted the gateway endpoint')
  t.same(c.sandbox(sb.id).endpoints, [])
  t.equal(c.sandbox(sb.id).gatewayEndpoint, undefined)
  t.equal(os.gateways.get(sb.key!), undefined, 'no default route')
  t.same([...os.ns.get(sb.key!)!.keys()], [], 'no interface left')
  t.same([...bridge.endpoints], [])
  t.match(c.restoreSummary.repaired, ['sandbox c1: gateway endpoint removed'])
  await c.stop()
})

t.test('restore brings the gateway endpoint’s ports up to date', async (t) => {
  // killed after e2's join was stored, before the gateway endpoint's ports followed it
  const store = memoryStore()
  const os = fakeOS()
  const first = await start(store, os)
  const sb = await sandboxOnTwoOverlays(first.c)
  const e1 = await first.c.createEndpoint('ov1', { name: 'e1', portBindings: [tcp(80, 8080)] })
  const e2 = await first.c.createEndpoint('ov2', { name: 'e2', portBindings: [tcp(81, 8081)] })
  await first.c.join(e1.id, sb.id)
  first.spy.hang.add('revokeExternalConnectivity')
  void first.c.join(e2.id, sb.id)
  await untilRecord(
    store,
    `endpoint/${e2.id}`,
    (r) => r?.sandboxId === sb.id,
    'the second overlay join to be stored',
  )
  const { c } = await start(store, os)
  const gw = gwEndpoint(c)!
  t.same(gw.portBindings, [tcp(80, 8080), tcp(81, 8081)])
  t.same(
    gw.boundPorts.map((b) => b.hostPort),
    [8080, 8081],
  )
  t.match(c.restoreSummary.repaired, [
    "sandbox c1: gateway endpoint's published ports brought up to date",
  ])
  await c.stop()
})
