// The CLI where it used to surprise: host addresses, versions.
import t from 'tap'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiServer, createLogger, runCli } from '../src/index.js'
import { FakeBackend } from './fake-backend.js'

const pkgVersion = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    version: string
  }
).version

async function setup(t: { teardown(fn: () => unknown): void }) {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-dnet-'))
  const socketPath = join(dir, 'api.sock')
  const backend = new FakeBackend()
  const server = new ApiServer({
    backend,
    logger: createLogger('error'),
    version: '7.7.7-test',
    socketPath,
  })
  await server.start()
  t.teardown(async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })
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
