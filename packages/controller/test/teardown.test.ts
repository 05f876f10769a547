// Leave finishes in the background: the interface is out of service at once, the kernel
// deletes it later, and the driver's leave (and deleteEndpoint) follow that deletion.
// Also: gwPriority survives a restart.
import t from 'tap'
import { IPNet, LibnetworkError } from '@libnetwork/types'
import { memoryStore } from '@libnetwork/datastore'
import { Controller } from '../src/index.js'
import { fakeDriver, fakeIpam, fakeOS, startFake, tick } from './fakes.js'

t.test('leave, delete endpoint and sandbox return before the kernel is done', async (t) => {
  const { c, fake, ipam, os } = await startFake()
  const net = await c.createNetwork({
    name: 'n',
    driver: 'fake',
    ipam: { config: [{ subnet: IPNet.parse('10.9.0.0/24') }] },
  })
  const ep = await c.createEndpoint('n', { name: 'e' })
  const sb = await c.createSandbox({ containerId: 'c' })
  await c.join(ep.id, sb.id)
  os.hold = true
  await c.leave(ep.id, sb.id)
  t.same([...os.ns.get(sb.key!)!.keys()], [], 'out of the sandbox at once')
  t.equal(c.endpoint(ep.id).sandboxId, undefined, 'left in the records')
  t.ok(fake.joined.has(ep.id), 'the driver has not left yet')
  await c.deleteEndpoint(ep.id)
  await c.deleteSandbox(sb.id)
  t.same(c.endpoints(), [])
  t.equal(os.ns.size, 0)
  t.same([...ipam.used.values()][0]!.size, 1, 'the address is released (only the gateway)')
  t.ok(fake.endpoints.has(ep.id), 'the driver still has the endpoint')
  await tick()
  t.equal(os.held, 1, 'the deletion is still pending')
  os.hold = false
  os.release()
  await c.settled()
  t.same(fake.calls.slice(-2), ['leave', 'deleteEndpoint'], 'driver steps after the deletion')
  t.equal(fake.joined.size + fake.endpoints.size, 0)
  await c.deleteNetwork(net.id)
  await c.settled()
  t.equal(fake.networks.size, 0)
})

t.test(
  "a re-join, a network delete's driver step and stop wait for the pending leave",
  async (t) => {
    const { c, fake, os } = await startFake()
    await c.createNetwork({ name: 'n', driver: 'fake' })
    const ep = await c.createEndpoint('n', { name: 'e' })
    const sb = await c.createSandbox({ containerId: 'c' })
    await c.join(ep.id, sb.id)
    os.hold = true
    await c.leave(ep.id, sb.id)
    let joined = false
    const rejoin = c.join(ep.id, sb.id).then(() => (joined = true))
    await tick()
    t.notOk(joined, 're-join waits for the kernel')
    os.release()
    await rejoin
    t.same(fake.calls.slice(-2), ['leave', 'join'], 'the driver left before it joins again')
    t.equal(c.endpoint(ep.id).ifName, 'eth0')

    await c.leave(ep.id, sb.id)
    await c.deleteEndpoint(ep.id)
    await c.deleteNetwork('n')
    await tick()
    t.equal(fake.calls.at(-1), 'join', "the network delete returned; the driver's part waits")
    os.release()
    await c.settled()
    t.same(fake.calls.slice(-3), ['leave', 'deleteEndpoint', 'deleteNetwork'])

    await c.createNetwork({ name: 'm', driver: 'fake' })
    const e2 = await c.createEndpoint('m', { name: 'e2' })
    await c.join(e2.id, sb.id)
    await c.leave(e2.id, sb.id)
    const stopped = c.stop()
    await tick()
    os.release()
    await stopped
    t.equal(fake.calls.at(-1), 'leave', 'stop finished the pending leave')
    t.equal(os.closed, 1, 'and closed the sandbox layer')
  },
)

t.test('a failing background step is reported by settled()', async (t) => {
  const { c, fake, os } = await startFake()
  await c.createNetwork({ name: 'n', driver: 'fake' })
  const ep = await c.createEndpoint('n', { name: 'e' })
  const sb = await c.createSandbox({ containerId: 'c' })
  await c.join(ep.id, sb.id)
  os.hold = true
  await c.leave(ep.id, sb.id)
  fake.failOn.add('leave')
  os.release()
  const err = await c.settled().then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(LibnetworkError.isInstance(err), 'typed error')
  t.equal((err as LibnetworkError).code, 'teardown-failed')
  t.match((err as Error).message, /injected failure in leave/)
  await c.settled()
  t.pass('reported once')
})

t.test('gwPriority is validated and survives a restart', async (t) => {
  const store = memoryStore()
  const os = fakeOS()
  const a = await startFake(store, os)
  for (const n of ['n1', 'n2', 'n3']) await a.c.createNetwork({ name: n, driver: 'fake' })
  const sb = await a.c.createSandbox({ containerId: 'c' })
  const [e1, e2, e3] = await Promise.all(
    ['n1', 'n2', 'n3'].map((n) => a.c.createEndpoint(n, { name: `e-${n}` })),
  )
  const before = JSON.stringify(await store.list(''))
  for (const bad of [1.5, Number.NaN, '3' as unknown as number]) {
    const err = await a.c.join(e1!.id, sb.id, { gwPriority: bad }).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.equal((err as LibnetworkError).category, 'bad-request', `gwPriority ${String(bad)}`)
  }
  t.equal(JSON.stringify(await store.list('')), before, 'store unchanged')
  await a.c.join(e1!.id, sb.id)
  await a.c.join(e2!.id, sb.id, { gwPriority: 10 })
  t.equal(a.c.sandbox(sb.id).gatewayEndpoint, e2!.id)
  t.equal(a.c.endpoint(e2!.id).gwPriority, 10)
  await a.c.stop()

  const b = await startFake(store, os)
  t.same(b.c.restoreSummary.repaired, [])
  t.equal(b.c.endpoint(e2!.id).gwPriority, 10, 'restored')
  await b.c.join(e3!.id, sb.id, { gwPriority: 5 })
  t.equal(b.c.sandbox(sb.id).gatewayEndpoint, e2!.id, '10 still beats 5 after the restart')
  await b.c.leave(e2!.id, sb.id)
  t.equal(b.c.sandbox(sb.id).gatewayEndpoint, e3!.id, 'then 5 beats 0')
  t.equal(os.gateways.get(sb.key!), b.c.endpoint(e3!.id).ifName)
  t.equal(b.c.endpoint(e2!.id).gwPriority, undefined, 'cleared on leave')
})

t.test("settled() also waits for each driver's own background work", async (t) => {
  let release!: () => void
  const pending = new Promise<void>((r) => (release = r))
  const fake = fakeDriver('fake')
  const c = await Controller.start({
    drivers: {
      fake: (...args) => Object.assign(fake.factory(...args), { settled: () => pending }),
    },
    ipams: { default: () => fakeIpam() },
    os: fakeOS(),
  })
  let done = false
  const s = c.settled().then(() => (done = true))
  await tick()
  t.equal(done, false, 'still waiting for the driver')
  release()
  await s
  t.equal(done, true)
})
