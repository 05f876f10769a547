// The [plugins] table: where remote plugins are looked for (issue 18).
import t from 'tap'
import { parseConfig } from '../src/config.js'

t.test('[plugins] socket_dirs and spec_dirs', async (t) => {
  t.equal(parseConfig('').plugins, undefined, "absent: Docker's directories")
  const c = parseConfig(
    '[plugins]\nsocket_dirs = ["/tmp/p/run"]\nspec_dirs = ["/tmp/p/etc", "/tmp/p/lib"]',
  )
  t.same(c.plugins, { socketDirs: ['/tmp/p/run'], specDirs: ['/tmp/p/etc', '/tmp/p/lib'] })
  t.same(parseConfig('[plugins]\nspec_dirs = []').plugins, { specDirs: [] })
  t.throws(() => parseConfig('[plugins]\nsocket_dirs = "/run"'), {
    name: 'BadRequestError',
    message: /plugins.socket_dirs must be a list of strings/,
  })
  t.throws(() => parseConfig('[plugins]\ndirs = ["/x"]'), {
    name: 'BadRequestError',
    message: /plugins.dirs is not a known setting/,
  })
})

t.test('GET /plugins: what the backend lists, or none', async (t) => {
  const { routes } = await import('../src/api/routes.js')
  const route = routes.find((r) => r.method === 'GET' && r.path === '/plugins')!
  t.ok(route, 'the route exists')
  const listed = [{ name: 'p', address: 'unix:///x/p.sock', source: '/x/p.sock' }]
  const withPlugins = { listPlugins: async () => listed } as never
  t.same(await route.handle(withPlugins, {}, undefined), listed)
  t.same(await route.handle({} as never, {}, undefined), [], 'a backend without plugins lists none')
})
