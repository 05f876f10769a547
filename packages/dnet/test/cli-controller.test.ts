// The CLI against the API over a real Controller (drivers of one network each and no
// interfaces; namespaces and discovery in memory): what a user types, down to the controller and back.
import t from 'tap'
import { memoryOS } from './memory-os.js'
import { serve } from './serve.js'
import { Controller } from '@libnetwork/controller'
import { singleNetworkDriver } from '@libnetwork/driver-null'
import { ControllerBackend } from '../src/controller-backend.js'

async function setup(t: { teardown(fn: () => unknown): void }) {
  const c = await Controller.start({
    // One network per driver type: `bridge` here is the test's stand-in for the default one.
    drivers: Object.fromEntries(
      ['bridge', 'd1', 'd2', 'd3'].map((type) => [type, singleNetworkDriver(type)]),
    ),
    os: memoryOS(),
    discovery: {
      sandboxCreated: async () => ({}),
      sandboxDeleted: async () => {},
      joined: async () => {},
      left: async () => {},
    },
  })
  await c.createNetwork({ name: 'bridge', driver: 'bridge' })
  const { run } = await serve(
    t,
    new ControllerBackend(c, undefined, undefined, { predefinedNetworks: ['bridge'] }),
    { stop: () => c.stop() },
  )
  return { c, run }
}

t.test('container create takes any valid container name', async (t) => {
  const { c, run } = await setup(t)
  for (const name of ['postgres-db-1', 'web.example.org', 'my_db']) {
    const r = await run('container', 'create', name)
    t.equal(r.code, 0, `${name}: ${r.err}`)
  }
  t.same(
    c.sandboxes().map((s) => s.hostname.length <= 12 && /[a-z0-9]$/.test(s.hostname)),
    [true, true, true],
  )
})

t.test('the short sandbox id that ls prints names the container', async (t) => {
  const { c, run } = await setup(t)
  t.equal((await run('service', 'publish', 'web.bridge')).code, 0)
  t.equal((await run('container', 'create', 'c1')).code, 0)
  const short = (await run('container', 'ls')).out.split('\n')[1]!.split(/\s+/)[0]!
  t.equal(short.length, 12, 'ls prints 12 characters')
  const att = await run('service', 'attach', short, 'web.bridge')
  t.equal(att.code, 0, `service attach: ${att.err}`)
  const sls = (await run('service', 'ls')).out
  t.match(sls, new RegExp(` web +bridge +c1 +${short}\\b`), 'service ls: container and sandbox')
  const det = await run('service', 'detach', short, 'web.bridge')
  t.equal(det.code, 0, `service detach: ${det.err}`)
  const rm = await run('container', 'rm', short)
  t.equal(rm.code, 0, `container rm: ${rm.err}`)
  t.same(c.sandboxes(), [], 'removed')
})

t.test('a prefix of several ids is a clear error; a short one is no id', async (t) => {
  const { c, run } = await setup(t)
  const ids = ['abcdef01', 'abcdef02'].map((p) => p + '0'.repeat(56))
  await c.createSandbox({ containerId: 'one', id: ids[0]! })
  await c.createSandbox({ containerId: 'two', id: ids[1]! })
  const amb = await run('container', 'rm', 'abcdef0')
  t.equal(amb.code, 1)
  t.match(amb.err, /abcdef0 is the beginning of 2 sandbox ids: give more of the id \(bad-request\)/)
  const short = await run('container', 'rm', 'abcde')
  t.match(short.err, /not found/, 'fewer than 6 characters name nothing')
  t.equal(c.sandboxes().length, 2, 'nothing removed')
  t.equal((await run('container', 'rm', 'abcdef02')).code, 0, 'a unique prefix works')
  t.same(
    c.sandboxes().map((s) => s.containerId),
    ['one'],
  )
  await c.createNetwork({ name: 'n1', driver: 'd1', id: 'fedcba01' + '0'.repeat(56) })
  await c.createNetwork({ name: 'n2', driver: 'd2', id: 'fedcba02' + '0'.repeat(56) })
  const namb = await run('network', 'inspect', 'fedcba0')
  t.equal(namb.code, 1)
  t.match(namb.err, /fedcba0 is the beginning of 2 network ids/)
})

t.test('the default network cannot be removed', async (t) => {
  const { c, run } = await setup(t)
  const id = c.network('bridge').id
  for (const ref of ['bridge', id, id.slice(0, 12)]) {
    const r = await run('network', 'rm', ref)
    t.equal(r.code, 1, `${ref}: refused`)
    t.match(r.err, /bridge is a pre-defined network and cannot be removed \(forbidden\)/)
  }
  t.ok(c.network('bridge'), 'still there')
  t.equal((await run('network', 'create', '-d', 'd3', 'mine')).code, 0)
  t.equal((await run('network', 'rm', 'mine')).code, 0, 'other networks can be')
})
