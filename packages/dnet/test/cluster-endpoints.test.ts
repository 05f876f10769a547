// service ls (GET /networks/{network}/endpoints) on any host lists the endpoints of a global
// network on every host: two controllers on one global store, as two daemons on one etcd.
import t from 'tap'
import { memoryStore } from '@libnetwork/datastore'
import { Controller, type SandboxOS } from '@libnetwork/controller'
import type { Driver, DriverFactory } from '@libnetwork/driverapi'
import { nullDriver } from '@libnetwork/driver-null'
import { ControllerBackend } from '../src/controller-backend.js'

t.setTimeout(300_000)

const noOS: SandboxOS = {
  create: async (key) => `/run/netns/${key}`,
  destroy: async () => {},
  path: (key) => `/run/netns/${key}`,
  list: async () => [],
  addInterface: async () => {},
  removeInterface: async () => ({ deleted: Promise.resolve() }),
  interfaces: async () => [],
  setGateway: async () => {},
}

// The null driver with a global data scope (a stand-in for overlay).
const globalNull: DriverFactory = (c) => {
  const d = nullDriver()(c)
  const capability = { ...d.capability, dataScope: 'global' as const }
  return Object.create(d, { capability: { value: capability } }) as Driver
}

t.test('every host lists the services of a global network on all hosts', async (t) => {
  const global = memoryStore({ scope: 'global' })
  const host = async () => {
    const c = await Controller.start({
      drivers: { gnull: globalNull },
      os: noOS,
      globalStore: global,
    })
    t.teardown(() => c.stop())
    return new ControllerBackend(c)
  }
  const a = await host()
  const b = await host()
  await a.createNetwork({ name: 'g', driver: 'gnull' })
  for (let i = 0; !(await b.listNetworks()).some((n) => n.name === 'g'); i++) {
    if (i > 10_000) throw new Error('network g never reached host B')
    await new Promise((r) => setTimeout(r, 5))
  }
  await a.createEndpoint('g', { name: 'web' })
  await b.createEndpoint('g', { name: 'db' })
  const names = async (h: ControllerBackend) =>
    (await h.listEndpoints('g')).map((e) => `${e.name}.${e.networkName}`).sort()
  t.same(await names(a), ['db.g', 'web.g'], 'A lists both')
  t.same(await names(b), ['db.g', 'web.g'], 'B lists both')
  t.same(
    (await b.listEndpoints()).map((e) => e.name).sort(),
    ['db', 'web'],
    'also without a network named',
  )
})
