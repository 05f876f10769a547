import t from 'tap'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { findPlugin, listPlugins, parseSpecUrl } from '../src/index.js'
import { servePlugin, tempDir } from './helpers.js'

const noop = {
  createNetwork: () => {},
  deleteNetwork: () => {},
  createEndpoint: () => {},
  deleteEndpoint: () => {},
  join: () => ({}),
  leave: () => {},
}

t.test('sockets, spec files, json files, in Docker order', async (t) => {
  const root = tempDir(t)
  const run = join(root, 'run')
  const etc = join(root, 'etc')
  const lib = join(root, 'lib')
  for (const d of [run, etc, lib, join(run, 'nested'), join(lib, 'j')])
    mkdirSync(d, { recursive: true })
  await servePlugin(t, run, 'sock', { network: noop })
  await servePlugin(t, join(run, 'nested'), 'nested', { network: noop })
  writeFileSync(join(etc, 'tcp.spec'), 'tcp://127.0.0.1:8999\n')
  writeFileSync(join(etc, 'unixspec.spec'), 'unix:///tmp/some/where.sock')
  writeFileSync(
    join(lib, 'j', 'j.json'),
    JSON.stringify({ Name: 'j', Addr: 'http://localhost:7000' }),
  )
  writeFileSync(join(lib, 'tcp.spec'), 'tcp://127.0.0.1:1') // shadowed by etc's
  writeFileSync(join(etc, 'sock.spec'), 'tcp://127.0.0.1:2') // shadowed by the socket
  writeFileSync(join(run, 'notasocket.sock'), '')
  writeFileSync(join(etc, 'bad.spec'), 'localhost:80x')
  writeFileSync(join(etc, 'noproto.spec'), '/run/x.sock')
  writeFileSync(join(etc, 'ftp.spec'), 'ftp://x')
  writeFileSync(join(etc, 'tls.json'), JSON.stringify({ Addr: 'https://127.0.0.1:443' }))
  writeFileSync(join(etc, 'broken.json'), '{')
  const opts = { socketDirs: [run], specDirs: [etc, lib] }

  t.match(await findPlugin('sock', opts), { protocol: 'unix', socketPath: join(run, 'sock.sock') })
  t.match(await findPlugin('nested', opts), {
    protocol: 'unix',
    socketPath: join(run, 'nested', 'nested.sock'),
  })
  t.same(await findPlugin('tcp', opts), {
    name: 'tcp',
    protocol: 'tcp',
    host: '127.0.0.1',
    port: 8999,
    source: join(etc, 'tcp.spec'),
  })
  t.match(await findPlugin('unixspec', opts), {
    protocol: 'unix',
    socketPath: '/tmp/some/where.sock',
  })
  t.match(await findPlugin('j', opts), { protocol: 'tcp', host: 'localhost', port: 7000 })
  t.equal(await findPlugin('nothere', opts), undefined)
  t.equal(await findPlugin('notasocket', opts), undefined, 'a plain file is not a socket')
  await t.rejects(findPlugin('noproto', opts), { code: 'plugin-bad-spec', category: 'bad-request' })
  await t.rejects(findPlugin('ftp', opts), {
    code: 'plugin-bad-spec',
    message: /unknown protocol ftp/,
  })
  await t.rejects(findPlugin('tls', opts), { code: 'plugin-tls-unsupported' })
  await t.rejects(findPlugin('broken', opts), {
    code: 'plugin-bad-spec',
    message: /malformed JSON/,
  })
  await t.rejects(findPlugin('../etc', opts), { code: 'plugin-invalid-name' })
  await t.rejects(findPlugin('', opts), { code: 'plugin-invalid-name' })

  t.same(await listPlugins(opts), [
    'bad',
    'broken',
    'ftp',
    'j',
    'nested',
    'noproto',
    'sock',
    'tcp',
    'tls',
    'unixspec',
  ])
  t.same(await listPlugins({ socketDirs: [join(root, 'none')], specDirs: [] }), [])
})

t.test('spec URLs', async (t) => {
  t.match(parseSpecUrl('x', 's', 'tcp://[::1]:9000'), { protocol: 'tcp', host: '::1', port: 9000 })
  t.match(parseSpecUrl('x', 's', 'http://h'), { protocol: 'tcp', host: 'h', port: 80 })
  t.throws(() => parseSpecUrl('x', 's', 'unix://'), { code: 'plugin-bad-spec' })
})
