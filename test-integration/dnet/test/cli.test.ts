// Upstream dnet's shell integration scenarios, through the real CLI against a real daemon.
import t from 'tap'
import { FETCH, Host, namespaces, serve } from './harness.js'

t.test('network create, ls, inspect and rm by name and by id', async (t) => {
  const h = await Host.create(t)
  await h.start(['--default-network', ''])
  const id = (
    await h.ok('network', 'create', '-d', 'bridge', '--subnet', '10.77.0.0/24', 'net1')
  ).trim()
  t.match(id, /^[0-9a-f]{64}$/)
  t.match(await h.ok('network', 'ls'), /net1\s+bridge\s+10\.77\.0\.0\/24/)
  t.equal((await h.ok('network', 'ls', '-q')).trim(), id)
  const inspected = JSON.parse(await h.ok('network', 'inspect', id.slice(0, 12)))
  t.equal(inspected[0].name, 'net1', 'inspect by id prefix')
  t.equal(JSON.parse(await h.ok('network', 'inspect', 'net1'))[0].id, id, 'inspect by name')
  await h.ok('network', 'rm', 'net1')
  t.equal((await h.ok('network', 'ls', '-q')).trim(), '')
  const id2 = (await h.ok('network', 'create', '--subnet', '10.77.0.0/24', 'net2')).trim()
  await h.ok('network', 'rm', id2)
  t.equal((await h.ok('network', 'ls', '-q')).trim(), '', 'removed by id')
})

t.test(
  'containers reach each other by name on a user bridge network, and a published port answers',
  async (t) => {
    const h = await Host.create(t)
    await h.start(['--default-network', ''])
    await h.ok('network', 'create', '--subnet', '10.77.0.0/24', '--gateway', '10.77.0.1', 'app')
    await h.ok('container', 'create', 'c1')
    await h.ok('container', 'create', 'c2')
    t.match(await h.ok('container', 'ls'), /c1[\s\S]*c2/)
    await h.ok('service', 'publish', 'client.app')
    await h.ok('service', 'publish', '-p', '8080:80', 'web.app')
    t.match((await h.ok('service', 'attach', 'c1', 'client.app')).trim(), /^10\.77\.0\.\d+\/24$/)
    await h.ok('service', 'attach', '--alias', 'www', 'c2', 'web.app')
    const ls = await h.ok('service', 'ls', '--net', 'app')
    t.match(ls, /web\s+app\s+c2\s+[0-9a-f]{12}\s+10\.77\.0\.\d+\/24\s+0\.0\.0\.0:8080->80\/tcp/)
    const keys = Object.fromEntries(
      JSON.parse(await h.ok('container', 'ls', '--json')).map((c: any) => [c.containerId, c.key]),
    )
    await serve(t, keys.c2, 80, 'pong')
    t.equal((await h.inContainer(keys.c1, FETCH, 'web', '80')).trim(), 'pong', 'c1 → web by name')
    t.equal(
      (await h.inContainer(keys.c1, FETCH, 'www', '80')).trim(),
      'pong',
      'c1 → web by its join-time alias',
    )
    const web = JSON.parse(await h.ok('service', 'ls', '--json')).find((e: any) => e.name === 'web')
    t.same(web.aliases, ['www'], 'service ls lists the alias')
    t.match(await h.ok('network', 'ls'), /app\s+bridge\s+\S+\s+local/, 'the real scope')
    const hostSide = await h.inContainer(`/var/run/netns/${h.ns}`, FETCH, '10.77.0.1', '8080')
    t.equal(hostSide.trim(), 'pong', 'published port answers from the host namespace')

    await h.ok('service', 'detach', 'c2', 'web.app')
    t.match(
      (await h.inContainer(keys.c1, FETCH, '10.77.0.3', '80')).trim(),
      /ERROR|TIMEOUT/,
      'detached: unreachable',
    )
    await h.ok('service', 'detach', 'c1', 'client.app')
    await h.ok('service', 'unpublish', 'web.app')
    await h.ok('service', 'unpublish', 'client.app')
    await h.ok('container', 'rm', 'c1', 'c2')
    await h.ok('network', 'rm', 'app')
    t.same(await namespaces(`${h.prefix}-sb-`), [], 'no container namespaces left')
  },
)

t.test('the default network: containers on it reach each other by name', async (t) => {
  const h = await Host.create(t, '172.17.0.1')
  await h.start()
  t.match(
    await h.ok('network', 'ls'),
    /bridge\s+bridge\s+172\.17\.0\.0\/16/,
    'default network "bridge" exists',
  )
  const rm = await h.cli('network', 'rm', 'bridge')
  t.equal(rm.code, 1, 'the default network cannot be removed')
  t.match(rm.err, /bridge is a pre-defined network and cannot be removed \(forbidden\)/)
  // Any valid container name works, and the short id `container ls` prints names it.
  await h.ok('container', 'create', 'postgres-db-1')
  const line = (await h.ok('container', 'ls')).split('\n').find((l) => l.includes('postgres-db'))!
  t.match(line, /^[0-9a-f]{12}\s+postgres-db-1\s+postgres-db\s/, 'host name without the -')
  await h.ok('container', 'rm', line.split(/\s+/)[0]!)
  await h.ok('container', 'create', 'a')
  await h.ok('container', 'create', 'b')
  await h.ok('service', 'publish', 'sa.bridge')
  await h.ok('service', 'publish', 'sb.bridge')
  await h.ok('service', 'attach', 'a', 'sa.bridge')
  await h.ok('service', 'attach', 'b', 'sb.bridge')
  t.match(await h.ok('service', 'ls'), / sa\s+bridge\s+a\s+[0-9a-f]{12}\s/, 'container and sandbox')
  const keys = Object.fromEntries(
    JSON.parse(await h.ok('container', 'ls', '--json')).map((c: any) => [c.containerId, c.key]),
  )
  await serve(t, keys.b, 7000, 'from-b')
  t.equal((await h.inContainer(keys.a, FETCH, 'sb', '7000')).trim(), 'from-b')
})

t.test('internal network: no way out', async (t) => {
  const h = await Host.create(t)
  await h.start(['--default-network', ''])
  await h.ok('network', 'create', '--internal', '--subnet', '10.78.0.0/24', 'inner')
  const hostServer =
    'require("net").createServer(s => s.end("host")).listen(9000, () => console.log("up"))'
  const { spawn } = await import('node:child_process')
  const srv = spawn(
    'nsenter',
    [`--net=/var/run/netns/${h.ns}`, process.execPath, '-e', hostServer],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  t.teardown(() => srv.kill('SIGKILL'))
  await new Promise((r) => srv.stdout.once('data', r))
  await h.ok('container', 'create', 'x')
  await h.ok('container', 'create', 'y')
  await h.ok('service', 'publish', 'sx.inner')
  await h.ok('service', 'publish', 'sy.inner')
  await h.ok('service', 'attach', 'x', 'sx.inner')
  await h.ok('service', 'attach', 'y', 'sy.inner')
  const keys = Object.fromEntries(
    JSON.parse(await h.ok('container', 'ls', '--json')).map((c: any) => [c.containerId, c.key]),
  )
  await serve(t, keys.y, 80, 'inside')
  t.equal(
    (await h.inContainer(keys.x, FETCH, 'sy', '80')).trim(),
    'inside',
    'members talk to each other',
  )
  // A host address outside the network: the internal network has no route to it.
  await h.ok('network', 'create', '--subnet', '10.79.0.0/24', 'other')
  t.match(
    (await h.inContainer(keys.x, FETCH, '10.79.0.1', '9000')).trim(),
    /ERROR|TIMEOUT/,
    'no route out',
  )
})

t.test('daemon restart keeps networks, containers, services and addresses', async (t) => {
  const h = await Host.create(t)
  await h.start(['--default-network', ''])
  await h.ok('network', 'create', '--subnet', '10.77.0.0/24', 'keep')
  await h.ok('container', 'create', 'c1')
  await h.ok('service', 'publish', 's1.keep')
  const ip1 = (await h.ok('service', 'attach', 'c1', 's1.keep')).trim()
  const before = JSON.parse(await h.ok('service', 'ls', '--json'))
  t.equal(await h.stop(), 0, 'clean shutdown on SIGTERM')
  await h.start(['--default-network', ''])
  t.match(await h.ok('network', 'ls'), /keep/)
  t.same(JSON.parse(await h.ok('service', 'ls', '--json')), before, 'services as they were')
  await h.ok('service', 'publish', 's2.keep')
  await h.ok('container', 'create', 'c2')
  const ip2 = (await h.ok('service', 'attach', 'c2', 's2.keep')).trim()
  t.not(ip2, ip1, 'a new allocation does not collide')
})
