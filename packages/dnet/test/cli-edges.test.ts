// The CLI where it used to surprise: host addresses, versions.
import t from 'tap'
import { serve } from './serve.js'
import { readFileSync } from 'node:fs'
import { runCli } from '../src/index.js'
import { FakeBackend } from './fake-backend.js'

const pkgVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

async function setup(t: { teardown(fn: () => unknown): void }) {
  const backend = new FakeBackend()
  const { socketPath } = await serve(t, backend, { version: '7.7.7-test' })
  return { socketPath, backend }
}

async function cli(...argv: string[]) {
  let out = ''
  let err = ''
  const code = await runCli(argv, { out: (s) => (out += s) }, (s) => (err += s), {})
  return { code, out, err }
}

t.test('-H with a port out of range is a clear usage error', async (t) => {
  for (const port of ['99999', '0', '65536']) {
    const r = await cli('-H', `tcp://127.0.0.1:${port}`, 'network', 'ls')
    t.equal(r.code, 2, `port ${port}: exit 2`)
    t.match(r.err, /invalid --host "tcp:\/\/127\.0\.0\.1:\d+": the port must be 1 to 65535/)
    t.notMatch(r.err, /ERR_|RangeError|at /, 'no raw Node error')
  }
  const name = await cli('-H', 'tcp://no-such-host.invalid:2375', 'network', 'ls')
  t.equal(name.code, 1)
  t.match(name.err, /^Error: cannot reach the dnet daemon at no-such-host\.invalid:2375: /)
})

t.test('-H=ADDRESS is accepted like --host=ADDRESS', async (t) => {
  const { socketPath, backend } = await setup(t)
  await backend.createNetwork({ name: 'n1' })
  for (const flag of ['-H=', '--host=']) {
    const r = await cli(`${flag}unix://${socketPath}`, 'network', 'ls', '-q')
    t.equal(r.code, 0, `${flag}: ${r.err}`)
    t.equal(r.out.trim().length, 64, `${flag}: the network listed`)
  }
})

t.test('--version, -v and version print the versions', async (t) => {
  const { socketPath } = await setup(t)
  for (const flag of ['--version', '-v']) {
    const r = await cli(flag)
    t.equal(r.code, 0)
    t.equal(r.out, `dnet version ${pkgVersion}\n`, flag)
  }
  const v = await cli('-H', `unix://${socketPath}`, 'version')
  t.equal(v.code, 0, v.err)
  t.equal(v.out, `Client: ${pkgVersion}\nServer: 7.7.7-test\n`, 'the daemon answers its version')
  const down = await cli('-H', 'unix:///nonexistent/dnet.sock', 'version')
  t.equal(down.code, 1, 'no daemon: exit 1')
  t.equal(down.out, `Client: ${pkgVersion}\n`, 'the client version still printed')
  t.match(down.err, /cannot reach the dnet daemon/)
  t.match((await cli('--help')).out, /^ {2}version +Show the version/m, 'listed in the help')
})

async function connected(t: { teardown(fn: () => unknown): void }) {
  const { socketPath, backend } = await setup(t)
  const run = (...argv: string[]) => cli('-H', `unix://${socketPath}`, ...argv)
  return { run, backend }
}

t.test('--add-host splits at the first colon, so IPv6 addresses work', async (t) => {
  const { run, backend } = await connected(t)
  const asked: unknown[] = []
  const create = backend.createSandbox.bind(backend)
  backend.createSandbox = async (req) => {
    asked.push(req.extraHosts)
    return create(req)
  }
  const r = await run(
    'container',
    'create',
    '--add-host',
    'h6:fd00::1',
    '--add-host',
    'b6:[fd00::2]',
    '--add-host',
    'h4:10.0.0.1',
    'c1',
  )
  t.equal(r.code, 0, r.err)
  t.same(asked, [
    [
      { name: 'h6', address: 'fd00::1' },
      { name: 'b6', address: 'fd00::2' },
      { name: 'h4', address: '10.0.0.1' },
    ],
  ])
  for (const bad of ['nocolon', ':1.2.3.4', 'h:']) {
    const b = await run('container', 'create', '--add-host', bad, 'c2')
    t.equal(b.code, 2, `${bad}: usage error`)
    t.match(b.err, /--add-host expects NAME:IP/)
  }
  t.equal(backend.sandboxes.size, 1, 'nothing else created')
})

t.test('multi-name commands try every name and fail if any failed', async (t) => {
  const { run, backend } = await connected(t)
  await backend.createNetwork({ name: 'a' })
  await backend.createNetwork({ name: 'b' })
  const rm = await run('network', 'rm', 'a', 'missing', 'b')
  t.equal(rm.code, 1, 'exit 1: one failed')
  t.equal(rm.out, 'a\nb\n', 'the others removed, after the failure too')
  t.match(rm.err, /network missing not found/)
  t.equal(backend.networks.size, 0)

  await backend.createSandbox({ containerId: 'c1' })
  await backend.createSandbox({ containerId: 'c2' })
  const crm = await run('container', 'rm', 'nope1', 'c1', 'nope2', 'c2')
  t.equal(crm.code, 1)
  t.equal(crm.out, 'c1\nc2\n')
  t.match(crm.err, /sandbox nope1 not found[^]*sandbox nope2 not found/, 'every error printed')
  t.equal(backend.sandboxes.size, 0)

  await backend.createNetwork({ name: 'n' })
  await backend.createEndpoint('n', { name: 'web' })
  await backend.createEndpoint('n', { name: 'db' })
  const un = await run('service', 'unpublish', 'web.n', 'gone.n', 'db.n')
  t.equal(un.code, 1)
  t.equal(un.out, 'web.n\ndb.n\n')
  t.equal(backend.endpoints.size, 0)
  const bad = await run('service', 'unpublish', 'x.n', 'nodot')
  t.equal(bad.code, 2, 'a malformed reference is a usage error before anything is done')
})

t.test('network inspect and service inspect both print arrays', async (t) => {
  const { run, backend } = await connected(t)
  const n = await backend.createNetwork({ name: 'n' })
  const e = await backend.createEndpoint('n', { name: 'web' })
  const ni = await run('network', 'inspect', 'n')
  t.same(
    JSON.parse(ni.out).map((x: { id: string }) => x.id),
    [n.id],
  )
  const si = await run('service', 'inspect', 'web.n')
  t.equal(si.code, 0, si.err)
  t.same(
    JSON.parse(si.out).map((x: { id: string }) => x.id),
    [e.id],
    'an array, as network inspect',
  )
  const partly = await run('service', 'inspect', 'web.n', 'gone.n')
  t.equal(partly.code, 1, 'one missing: exit 1')
  t.same(
    JSON.parse(partly.out).map((x: { id: string }) => x.id),
    [e.id],
    'the found ones printed',
  )
  const np = await run('network', 'inspect', 'gone', 'n')
  t.equal(np.code, 1)
  t.equal(JSON.parse(np.out).length, 1)
  t.match(np.err, /network gone not found/)
})

t.test('service ls names the container and the sandbox', async (t) => {
  const { run, backend } = await connected(t)
  await backend.createNetwork({ name: 'n' })
  await backend.createEndpoint('n', { name: 'web' })
  await backend.createEndpoint('n', { name: 'idle' })
  const s = await backend.createSandbox({ containerId: 'postgres-db-1' })
  await backend.join('n', 'web', 'postgres-db-1')
  const out = (await run('service', 'ls')).out.split('\n')
  t.match(out[0], /^SERVICE ID +NAME +NETWORK +CONTAINER +SANDBOX ID +IP +PORTS$/)
  const web = out.find((l) => / web /.test(l))!
  t.match(web, new RegExp(` web +n +postgres-db-1 +${s.id.slice(0, 12)} `))
  t.notMatch(
    out.find((l) => / idle /.test(l))!,
    /postgres/,
    'an unattached service has no container',
  )
})

t.test('ports: a host port chosen at attach is not shown before it is known', async (t) => {
  const { run, backend } = await connected(t)
  await backend.createNetwork({ name: 'n' })
  t.equal((await run('service', 'publish', '-p', '80', 'rand.n')).code, 0)
  t.equal((await run('service', 'publish', '-p', '8080:80', 'fixed.n')).code, 0)
  t.equal((await run('service', 'publish', '-p', '[::1]:8081:81/udp', 'v6.n')).code, 0)
  t.equal((await run('service', 'publish', '-p', '9000-9010:90', 'range.n')).code, 0)
  const out = (await run('service', 'ls')).out
  t.notMatch(out, /:->/, 'no empty host port')
  t.match(out, / rand .* 80\/tcp$/m)
  t.match(out, / fixed .* 0\.0\.0\.0:8080->80\/tcp$/m)
  t.match(out, / v6 .* \[::1\]:8081->81\/udp$/m)
  t.match(out, / range .* 0\.0\.0\.0:9000-9010->90\/tcp$/m)
})

t.test('--ipv6 without an IPv6 subnet asks the daemon for one from its default pool', async (t) => {
  const { run, backend } = await connected(t)
  const asked: unknown[] = []
  const create = backend.createNetwork.bind(backend)
  backend.createNetwork = async (req) => {
    asked.push(req)
    return create(req)
  }
  const r = await run('network', 'create', '--ipv6', 'n6')
  t.equal(r.code, 0, r.err)
  t.equal(backend.networks.size, 1, 'created')
  t.match(asked[0], { name: 'n6', ipv6: true }, 'IPv6 asked for')
  t.notOk((asked[0] as { ipam?: unknown }).ipam, 'with no subnet: the daemon picks one')
  const ok = await run('network', 'create', '--ipv6', '--subnet', 'fd00:1::/64', 'n6b')
  t.equal(ok.code, 0, ok.err)
  const help = (await run('network', 'create', '--help')).out
  t.match(help, /--ipv6 +.*default IPv6 pool/)
  t.notMatch(help, /there is no default IPv6 pool/)
})

t.test('network ls --filter, --format and -q', async (t) => {
  const { run, backend } = await connected(t)
  const web = await backend.createNetwork({ name: 'web-front', labels: { tier: 'front' } })
  const db = await backend.createNetwork({ name: 'db', driver: 'null' })
  await backend.createNetwork({ name: 'web-back', driver: 'null', labels: { tier: 'back' } })
  const names = async (...argv: string[]) => {
    const r = await run('network', 'ls', '--format', '{{.Name}}', ...argv)
    t.equal(r.code, 0, r.err)
    return r.out
  }
  t.equal(await names(), 'web-front\ndb\nweb-back\n', '{{.Name}}: one per line')
  t.equal(await names('--filter', 'name=web'), 'web-front\nweb-back\n', 'name: a part')
  t.equal(await names('-f', 'name=^db$'), 'db\n', 'name: a regex')
  t.equal(await names('-f', 'driver=null'), 'db\nweb-back\n')
  t.equal(await names('-f', 'driver=null', '-f', 'name=web'), 'web-back\n', 'keys: all')
  t.equal(await names('-f', 'name=db', '-f', 'name=front'), 'web-front\ndb\n', 'one key: any')
  t.equal(await names('-f', `id=${db.id}`), 'db\n', 'id: whole')
  t.equal(await names('-f', 'label=tier'), 'web-front\nweb-back\n')
  t.equal(await names('-f', 'label=tier=back'), 'web-back\n')
  t.equal((await run('network', 'ls', '-q', '-f', 'name=front')).out, `${web.id}\n`, '-q')
  const tbl = await run(
    'network',
    'ls',
    '-f',
    'driver=bridge',
    '--format',
    'table {{.ID}}\\t{{.Name}}\\t{{.Label "tier"}}',
  )
  t.equal(
    tbl.out,
    `NETWORK ID     NAME        LABEL tier\n${web.id.slice(0, 12)}   web-front   front\n`,
  )
  const j = await run('network', 'ls', '-f', 'name=^db$', '--format', '{{json .}}')
  t.equal(JSON.parse(j.out).id, db.id, '{{json .}}')
  const badFormat = await run('network', 'ls', '--format', '{{.Colour}}')
  t.equal(badFormat.code, 2)
  t.match(badFormat.err, /\{\{\.Colour\}\} is not supported; use \{\{\.ID\}\}, \{\{\.Name\}\}/)
  const badFilter = await run('network', 'ls', '-f', 'colour=red')
  t.equal(badFilter.code, 2)
  t.match(badFilter.err, /KEY one of name, id, driver, scope, label/)
})
