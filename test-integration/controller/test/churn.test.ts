import t from 'tap'
import { LibnetworkError, IPNet } from '@libnetwork/types'
import { memoryStore } from '@libnetwork/datastore'
import { hostEnv, kernelState, listNetns, startController } from './helpers.js'

t.test('200 create/join/leave/delete cycles leave nothing behind', async (t) => {
  const env = await hostEnv(t)
  const store = memoryStore()
  const c = await startController(env, store)
  const base = await c.createNetwork({
    name: 'base',
    driver: 'bridge',
    ipam: { config: [{ subnet: IPNet.parse('172.31.30.0/24') }] },
  })
  const kernelBefore = await kernelState(env.ns)
  const storeBefore = JSON.stringify(await store.list(''))
  const addrs = new Set<string>()
  for (let i = 0; i < 200; i++) {
    // every 20th cycle also makes and removes a network of its own
    const own =
      i % 20 === 0 ? await c.createNetwork({ name: `n${i}`, driver: 'bridge' }) : undefined
    const ep = await c.createEndpoint(own?.id ?? base.id, {
      name: `e${i}`,
      portBindings: i % 3 === 0 ? [{ protocol: 'tcp', port: 80 }] : [],
    })
    addrs.add(ep.address!.toString())
    const sb = await c.createSandbox({ containerId: `c${i}` })
    await c.join(ep.id, sb.id)
    await c.leave(ep.id, sb.id)
    await c.deleteEndpoint(ep.id)
    await c.deleteSandbox(sb.id)
    if (own) await c.deleteNetwork(own.id)
  }
  // Leave deletes interfaces in the background; once settled nothing may be left.
  await c.settled()
  t.equal(JSON.stringify(await store.list('')), storeBefore, 'store as before')
  t.same(await kernelState(env.ns), kernelBefore, 'links, addresses and iptables as before')
  t.same(await listNetns(env.sandboxPrefix), [], 'no sandbox namespaces left')
  t.ok(addrs.has('172.31.30.2/24'), 'addresses were released and reused')
  // every IP and port is free again: the same address and host port can be had once more
  const ep = await c.createEndpoint(base.id, {
    name: 'last',
    portBindings: [{ protocol: 'tcp', port: 80, hostPort: 32768 }],
  })
  t.equal(ep.address!.toString(), '172.31.30.2/24')
  const sb = await c.createSandbox({ containerId: 'last' })
  await c.join(ep.id, sb.id)
  t.equal(c.endpoint(ep.id).boundPorts[0]!.hostPort, 32768)
})

t.test('bad input: typed errors, kernel and store unchanged', async (t) => {
  const env = await hostEnv(t)
  const store = memoryStore()
  const c = await startController(env, store)
  const net = await c.createNetwork({
    name: 'n1',
    driver: 'bridge',
    ipam: { config: [{ subnet: IPNet.parse('172.31.40.0/24') }] },
  })
  const ep = await c.createEndpoint(net.id, { name: 'e1' })
  const sb = await c.createSandbox({ containerId: 'c1' })
  await c.join(ep.id, sb.id)
  const gone = await c.createEndpoint(net.id, { name: 'gone' })
  await c.deleteEndpoint(gone.id)
  const kernel = await kernelState(env.ns)
  const records = JSON.stringify(await store.list(''))
  const cases: Array<[string, () => Promise<unknown>, string]> = [
    ['unknown driver', () => c.createNetwork({ name: 'x', driver: 'overlay' }), 'not-found'],
    ['duplicate network name', () => c.createNetwork({ name: 'n1', driver: 'bridge' }), 'conflict'],
    [
      'overlapping subnet',
      () =>
        c.createNetwork({
          name: 'x',
          driver: 'bridge',
          ipam: { config: [{ subnet: IPNet.parse('172.31.40.128/25') }] },
        }),
      'conflict',
    ],
    ['joining a deleted endpoint', () => c.join(gone.id, sb.id), 'not-found'],
    ['deleting a network with active endpoints', () => c.deleteNetwork('n1'), 'forbidden'],
    [
      'bad bridge option',
      () =>
        c.createNetwork({
          name: 'x',
          driver: 'bridge',
          options: { 'com.docker.network.driver.mtu': 'big' },
        }),
      'bad-request',
    ],
    [
      'bridge name taken',
      () =>
        c.createNetwork({
          name: 'x',
          driver: 'bridge',
          options: { bridgeName: `br-${net.id.slice(0, 12)}` },
        }),
      'conflict',
    ],
    [
      'address taken',
      () => c.createEndpoint(net.id, { name: 'x', ipv4Address: ep.address!.ip }),
      'conflict',
    ],
  ]
  for (const [what, op, category] of cases) {
    const err = await op().then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(LibnetworkError.isInstance(err), `${what}: typed error`)
    t.equal((err as LibnetworkError).category, category, `${what}: ${(err as Error).message}`)
  }
  t.same(await kernelState(env.ns), kernel, 'kernel unchanged')
  t.equal(JSON.stringify(await store.list('')), records, 'store unchanged')
  t.same(await listNetns(env.sandboxPrefix), [sb.key!], 'no extra namespaces')
})
