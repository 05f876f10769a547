import t from 'tap'
import { serve } from './serve.js'
import { ApiServer, createLogger, parsePublish, runCli } from '../src/index.js'
import { FakeBackend } from './fake-backend.js'

async function setup(t: { teardown(fn: () => unknown): void }) {
  const backend = new FakeBackend()
  const { run } = await serve(t, backend)
  return { run, backend }
}

t.test('network, container and service commands drive the API', async (t) => {
  const { run, backend } = await setup(t)
  const c = await run(
    'network',
    'create',
    '-d',
    'bridge',
    '--subnet',
    '10.20.0.0/24',
    '--gateway',
    '10.20.0.1',
    '-o',
    'com.docker.network.bridge.name=br-x',
    'net1',
  )
  t.equal(c.code, 0, c.err)
  t.match(c.out, /^[0-9a-f]{64}\n$/, 'prints the id')
  const n = [...backend.networks.values()][0]!
  t.same(n.ipam.config, [{ subnet: '10.20.0.0/24', gateway: '10.20.0.1' }])
  t.same(n.options, { 'com.docker.network.bridge.name': 'br-x' })

  const ls = await run('network', 'ls')
  t.match(ls.out, /NETWORK ID\s+NAME\s+DRIVER/)
  t.match(ls.out, /net1\s+bridge\s+10\.20\.0\.0\/24/)
  t.equal((await run('network', 'ls', '-q')).out, `${n.id}\n`)
  t.same(
    JSON.parse((await run('network', 'ls', '--json')).out).map((x: any) => x.name),
    ['net1'],
  )
  t.equal(JSON.parse((await run('network', 'inspect', 'net1')).out)[0].id, n.id)

  t.equal((await run('container', 'create', '--hostname', 'box', 'c1')).code, 0)
  t.equal((await run('service', 'publish', '-p', '8080:80', 'web.net1')).code, 0)
  const ep = [...backend.endpoints.values()][0]!
  t.same(ep.portBindings, [{ protocol: 'tcp', port: 80, hostPort: 8080 }])
  const att = await run('service', 'attach', 'c1', 'web.net1')
  t.equal(att.code, 0, att.err)
  t.match((await run('service', 'ls')).out, /web\s+net1/)
  t.match((await run('container', 'ls')).out, /c1\s+box\s+1/)
  t.equal((await run('service', 'detach', 'c1', 'web.net1')).code, 0)
  t.equal((await run('service', 'unpublish', 'web.net1')).code, 0)
  t.equal((await run('container', 'rm', 'c1')).code, 0)
  t.equal((await run('network', 'rm', 'net1')).code, 0)
  t.equal(backend.networks.size + backend.endpoints.size + backend.sandboxes.size, 0)
})

t.test('errors are clear and exit non-zero', async (t) => {
  const { run } = await setup(t)
  const missing = await run('network', 'rm', 'nope')
  t.equal(missing.code, 1)
  t.match(missing.err, /Error: network nope not found \(not-found\)/)
  const usage = await run('network', 'create')
  t.equal(usage.code, 2)
  t.match(usage.err, /expected exactly one NAME/)
  const bad = await run('network', 'create', '--colour', 'x', 'n')
  t.equal(bad.code, 2)
  t.match(bad.err, /Unknown option '--colour'/)
  t.equal((await run('frobnicate')).code, 2)
  t.match((await run('service', 'publish', 'nodot')).err, /SERVICE.NETWORK/)
  let err = ''
  const down = await runCli(
    ['-H', 'unix:///nonexistent/dnet.sock', 'network', 'ls'],
    { out: () => {} },
    (s) => (err += s),
    {},
  )
  t.equal(down, 1)
  t.match(err, /cannot reach the dnet daemon/)
})

t.test('--help works for every command', async (t) => {
  const { run } = await setup(t)
  const top = await run('--help')
  t.equal(top.code, 0)
  for (const cmd of [
    'network create',
    'network ls',
    'network inspect',
    'network rm',
    'container create',
    'container rm',
    'container ls',
    'service publish',
    'service unpublish',
    'service attach',
    'service detach',
    'service ls',
    'service inspect',
  ]) {
    t.match(top.out, cmd, `listed: ${cmd}`)
    const h = await run(...cmd.split(' '), '--help')
    t.equal(h.code, 0)
    t.match(h.out, /^Usage: dnet /)
    // Every option line says what the option does.
    for (const line of h.out.split('\n').filter((l) => /^ {2}(-\w, )? *--/.test(l))) {
      t.match(line, /--[\w-]+( \S+)? +[a-z"'(]/, `described: ${line.trim()}`)
    }
  }
  t.match((await run('network', 'create', '--help')).out, /--subnet CIDR +a subnet/)
})

t.test('-p parses docker-style publish specs', async (t) => {
  t.same(parsePublish('80'), { protocol: 'tcp', port: 80 })
  t.same(parsePublish('8080:80/udp'), { protocol: 'udp', port: 80, hostPort: 8080 })
  t.same(parsePublish('127.0.0.1:8080:80'), {
    protocol: 'tcp',
    port: 80,
    hostPort: 8080,
    hostIp: '127.0.0.1',
  })
  t.same(parsePublish('127.0.0.1::80'), { protocol: 'tcp', port: 80, hostIp: '127.0.0.1' })
  t.same(parsePublish('8000-8010:80'), {
    protocol: 'tcp',
    port: 80,
    hostPort: 8000,
    hostPortEnd: 8010,
  })
  t.throws(() => parsePublish('eighty'), /invalid -p/)
})

t.test('the CLI reaches a daemon on a loopback TCP port too', async (t) => {
  const backend = new FakeBackend()
  const server = new ApiServer({
    backend,
    logger: createLogger('error'),
    version: 'test',
    tcp: { host: '127.0.0.1', port: 0 },
  })
  await server.start()
  t.teardown(() => server.stop())
  const { port } = server.tcpAddress()!
  let out = ''
  let err = ''
  const run = (host: string, ...argv: string[]) =>
    runCli(['-H', host, ...argv], { out: (s) => (out += s) }, (s) => (err += s), {})
  t.equal(await run(`tcp://127.0.0.1:${port}`, 'network', 'create', 'tcpnet'), 0, err)
  t.equal(backend.networks.size, 1, 'the network was created over TCP')
  out = ''
  t.equal(await run(`tcp://127.0.0.1:${port}`, 'network', 'ls', '-q'), 0, err)
  t.equal(out.trim().length, 64, 'its id listed')
  await server.stop()
  t.equal(await run(`tcp://127.0.0.1:${port}`, 'network', 'ls'), 1, 'daemon gone: exit 1')
  t.match(err, /cannot reach the dnet daemon at 127\.0\.0\.1:\d+/)
})
