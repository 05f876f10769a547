// The host name a sandbox gets when none is asked for: any valid container name must work.
import t from 'tap'
import { startFake } from './fakes.js'

const HOST_RE = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/

t.test(
  'a container name whose first 12 characters end in - or . still makes a sandbox',
  async (t) => {
    const { c } = await startFake()
    const a = await c.createSandbox({ containerId: 'postgres-db-1' })
    t.equal(a.hostname, 'postgres-db', 'cut to 12 characters, trailing - dropped')
    const b = await c.createSandbox({ containerId: 'web.example.org' })
    t.equal(b.hostname, 'web.example', 'trailing . dropped')
    const d = await c.createSandbox({ containerId: 'a--.-.-------x' })
    t.equal(d.hostname, 'a', 'a run of - and . dropped')
    t.equal((await c.createSandbox({ containerId: 'short' })).hostname, 'short', 'short names kept')
  },
)

t.test('a container name that is no host name gets the sandbox id, as docker gives', async (t) => {
  const { c } = await startFake()
  for (const name of ['my_db', '_x', 'über']) {
    const s = await c.createSandbox({ containerId: name })
    t.equal(s.hostname, s.id.slice(0, 12), `${name}: the id's first 12 characters`)
    t.match(s.hostname, HOST_RE)
  }
})

t.test('an explicit host name is still checked', async (t) => {
  const { c } = await startFake()
  await t.rejects(c.createSandbox({ containerId: 'x', hostname: 'bad-' }), {
    name: 'InvalidConfigError',
  })
  t.same(c.sandboxes(), [], 'nothing created')
})
