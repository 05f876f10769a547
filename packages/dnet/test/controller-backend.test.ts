// ControllerBackend over a real Controller (null driver, in-memory store, a sandbox layer and
// service discovery recorded in memory): what the REST API and the CLI see.
import t from 'tap'
import { memoryOS } from './memory-os.js'
import { Controller, type DiscoveryHooks } from '@libnetwork/controller'
import { nullDriver } from '@libnetwork/driver-null'
import { ControllerBackend } from '../src/controller-backend.js'

async function backend() {
  // What the embedded DNS is told to answer: the names of each joined endpoint.
  const names = new Map<string, string[]>()
  const discovery: DiscoveryHooks = {
    sandboxCreated: async () => ({}),
    sandboxDeleted: async () => {},
    joined: async (_sb, ep, net) => {
      names.set(`${ep.name}.${net.name}`, [ep.name, ...ep.aliases])
    },
    left: async (_sb, ep, net) => {
      names.delete(`${ep.name}.${net.name}`)
    },
  }
  const c = await Controller.start({ drivers: { null: nullDriver() }, os: memoryOS(), discovery })
  t.teardown(() => c.stop())
  return { b: new ControllerBackend(c), names }
}

t.test(
  'join-time aliases reach the DNS and the endpoint view (service attach --alias)',
  async (t) => {
    const { b, names } = await backend()
    await b.createNetwork({ name: 'app', driver: 'null' })
    await b.createEndpoint('app', { name: 'web', aliases: ['www'] })
    await b.createSandbox({ containerId: 'c1' })
    const joined = await b.join('app', 'web', 'c1', { aliases: ['api'] })
    t.same(joined.aliases, ['www', 'api'], 'the join answer lists the alias')
    t.same(names.get('web.app'), ['web', 'www', 'api'], 'the embedded DNS answers it')
    t.same(
      (await b.listEndpoints()).map((e) => [e.name, e.aliases]),
      [['web', ['www', 'api']]],
      'service ls lists it',
    )
    const left = await b.leave('app', 'web', 'c1')
    t.same(left.aliases, ['www'], 'leave drops it')
    t.notOk(names.has('web.app'))
  },
)

t.test('networks report the scope of their driver', async (t) => {
  const { b } = await backend()
  const n = await b.createNetwork({ name: 'none', driver: 'null' })
  t.equal(n.scope, 'local')
  t.same(
    (await b.listNetworks()).map((x) => x.scope),
    ['local'],
  )
})
