// Network delete answers once the network is out of the controller's view and its record is
// marked; the driver, the pools and the record follow in the background, before any later
// createNetwork, at stop, and after a crash at the next start.
import t from 'tap'
import type { Test } from 'tap'
import { IPNet, LibnetworkError } from '@libnetwork/types'
import { memoryStore, type KVStore } from '@libnetwork/datastore'
import { Controller } from '../src/index.js'
import {
  fakeDriver,
  fakeIpam,
  fakeOS,
  fakeDriverState,
  readRecord,
  startFake,
  tick,
} from './fakes.js'

const subnet = () => ({ config: [{ subnet: IPNet.parse('10.9.0.0/24') }] })

/** A network whose only endpoint was joined, left and deleted while the kernel holds its veth. */
async function leftBehind(s: Awaited<ReturnType<typeof startFake>>) {
  const net = await s.c.createNetwork({ name: 'n', driver: 'fake', ipam: subnet() })
  const ep = await s.c.createEndpoint('n', { name: 'e' })
  const sb = await s.c.createSandbox({ containerId: 'c' })
  await s.c.join(ep.id, sb.id)
  s.os.hold = true
  await s.c.leave(ep.id, sb.id)
  await s.c.deleteEndpoint(ep.id)
  await s.c.deleteSandbox(sb.id)
  return net
}

async function caught(p: Promise<unknown>): Promise<LibnetworkError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!LibnetworkError.isInstance(err))
    throw new Error(`expected a typed error, got ${String(err)}`)
  return err
}

const record = (store: KVStore, id: string) => readRecord(store, `network/${id}`)

t.test(
  'delete answers before the driver; a create of the same name and subnet waits',
  async (t) => {
    const s = await startFake()
    const net = await leftBehind(s)
    const calls = s.fake.calls.length
    await s.c.deleteNetwork('n')
    t.same(s.c.networks(), [], 'gone from the list at once')
    t.equal((await caught(Promise.resolve().then(() => s.c.network('n')))).category, 'not-found')
    t.equal((await record(s.store, net.id))?.deleting, true, 'its record is marked')
    t.equal(s.fake.calls.length, calls, 'the driver has not been called yet')
    t.ok(s.fake.networks.has(net.id))
    t.equal(s.ipam.used.size, 1, 'the pool is still reserved')

    let created = false
    const again = s.c
      .createNetwork({ name: 'n', driver: 'fake', ipam: subnet() })
      .then((n) => ((created = true), n))
    await tick()
    t.notOk(created, 'the create waits for the deletion')
    s.os.hold = false
    s.os.release()
    const n2 = await again
    t.same(s.fake.calls.slice(calls), ['leave', 'deleteEndpoint', 'deleteNetwork', 'createNetwork'])
    t.not(n2.id, net.id)
    t.equal(await record(s.store, net.id), undefined, 'the old record is gone')
    t.equal((await record(s.store, n2.id))?.deleting, undefined)
    t.same([...s.fake.networks], [n2.id])
    await s.c.settled()
  },
)

t.test('a create that collides with nothing pending does not wait for it', async (t) => {
  const s = await startFake()
  const net = await leftBehind(s)
  await s.c.deleteNetwork('n')
  // Another subnet and no driver options: nothing of the pending deletion is in its way.
  const other = await s.c.createNetwork({
    name: 'other',
    driver: 'fake',
    ipam: { config: [{ subnet: IPNet.parse('10.8.0.0/24') }] },
  })
  t.ok(s.fake.networks.has(net.id), 'the deleted network is still with the driver')
  t.equal((await record(s.store, net.id))?.deleting, true, 'its deletion is still pending')
  // An overlapping subnet, or the same driver with options (a bridge name, say), waits.
  let overlapping = false
  const p1 = s.c
    .createNetwork({
      name: 'p1',
      driver: 'fake',
      ipam: { config: [{ subnet: IPNet.parse('10.9.0.128/25') }] },
    })
    .then(() => (overlapping = true))
  let optioned = false
  const p2 = s.c
    .createNetwork({ name: 'p2', driver: 'fake', options: { x: '1' } })
    .then(() => (optioned = true))
  await tick()
  t.notOk(overlapping || optioned, 'both wait for the deletion')
  s.os.hold = false
  s.os.release()
  await Promise.all([p1, p2])
  t.notOk(s.fake.networks.has(net.id), 'the deletion finished first')
  t.equal(await record(s.store, net.id), undefined)
  t.same(
    s.c
      .networks()
      .map((n) => n.name)
      .sort(),
    ['other', 'p1', 'p2'],
  )
  t.not(other.id, net.id)
  await s.c.settled()
})

t.test('bad deletes are typed errors and change nothing', async (t) => {
  const s = await startFake()
  await s.c.createNetwork({ name: 'n', driver: 'fake', ipam: subnet() })
  await s.c.createEndpoint('n', { name: 'e' })
  const before = JSON.stringify(await s.store.list(''))
  const calls = s.fake.calls.length
  const missing = await caught(s.c.deleteNetwork('nope'))
  t.equal(missing.name, 'ObjectNotFoundError')
  t.equal(missing.category, 'not-found')
  const busy = await caught(s.c.deleteNetwork('n'))
  t.equal(busy.name, 'InUseError')
  t.equal(busy.category, 'forbidden')
  t.equal(JSON.stringify(await s.store.list('')), before, 'store unchanged')
  t.equal(s.fake.calls.length, calls, 'driver not called')
  t.same(
    s.c.networks().map((n) => n.name),
    ['n'],
  )
  await s.c.settled()
})

async function restartFinishes(t: Test, store: KVStore, id: string) {
  const b = await startFake(store)
  t.same(b.c.restoreSummary.repaired, ['network n: deletion finished'])
  t.same(b.c.networks(), [], 'not listed after the restart')
  t.equal(await record(store, id), undefined, 'record removed')
  t.same(b.fake.calls, ['deleteNetwork'], "the driver's delete was redone")
  t.equal(b.fake.networks.size, 0)
  t.equal(b.ipam.used.size, 0, 'the pool is free')
  await b.c.createNetwork({ name: 'n', driver: 'fake', ipam: subnet() })
  t.equal(b.c.networks().length, 1, 'name and subnet can be had again')
  await b.c.stop()
}

t.test('a crash right after the answer: the next start finishes the deletion', async (t) => {
  const store = memoryStore()
  const a = await startFake(store)
  const net = await leftBehind(a)
  await a.c.deleteNetwork(net.id)
  // `a` is abandoned here with its deletion pending, as a process killed with -9 would be.
  await restartFinishes(t, store, net.id)
})

t.test('a failed background delete: settled() reports it, the next start redoes it', async (t) => {
  const store = memoryStore()
  const a = await startFake(store)
  const net = await a.c.createNetwork({ name: 'n', driver: 'fake', ipam: subnet() })
  a.fake.failOn.add('deleteNetwork')
  await a.c.deleteNetwork('n')
  const err = await caught(a.c.settled())
  t.equal(err.code, 'teardown-failed')
  t.match(err.message, /injected failure in deleteNetwork/)
  t.equal((await record(store, net.id))?.deleting, true, 'the record stays marked')
  t.same(a.c.networks(), [])
  await a.c.stop()
  const b = await startFake(store, fakeOS(), fakeDriverState(['deleteNetwork']))
  t.match(b.c.restoreSummary.repaired, [/^network n: deletion failed again: .*injected failure/])
  t.same(b.c.networks(), [], 'still not listed')
  t.equal((await record(store, net.id))?.deleting, true, 'still marked')
  await b.c.stop()
  await restartFinishes(t, store, net.id)
})

t.test('stop finishes a pending network deletion', async (t) => {
  const s = await startFake()
  const net = await leftBehind(s)
  await s.c.deleteNetwork('n')
  const stopped = s.c.stop()
  await tick()
  s.os.release()
  await stopped
  t.same(s.fake.calls.slice(-3), ['leave', 'deleteEndpoint', 'deleteNetwork'])
  t.equal(await record(s.store, net.id), undefined)
  t.equal(s.ipam.used.size, 0)
})

t.test('delete does not wait behind background work holding the lock', async (t) => {
  let open!: () => void
  const gate = new Promise<void>((r) => (open = r))
  const fake = fakeDriver('fake')
  const c = await Controller.start({
    drivers: {
      fake: (...args) => {
        const d = fake.factory(...args)
        const leave = d.leave.bind(d)
        return Object.assign(d, {
          leave: (r: Parameters<typeof leave>[0]) => gate.then(() => leave(r)),
        })
      },
    },
    ipams: { default: () => fakeIpam() },
    os: fakeOS(),
  })
  await c.createNetwork({ name: 'busy', driver: 'fake' })
  await c.createNetwork({ name: 'n', driver: 'fake', ipam: subnet() })
  const ep = await c.createEndpoint('busy', { name: 'e' })
  const sb = await c.createSandbox({ containerId: 'c' })
  await c.join(ep.id, sb.id)
  await c.leave(ep.id, sb.id)
  await tick()
  t.notOk(fake.state.calls.includes('leave'), "the leave's tail is stuck in the driver")
  await c.deleteNetwork('n')
  t.same(
    c.networks().map((n) => n.name),
    ['busy'],
    'the delete answered while the tail holds the lock',
  )
  open()
  await c.settled()
  t.same(fake.state.calls.slice(-2), ['leave', 'deleteNetwork'], 'then the rest ran in order')
})
