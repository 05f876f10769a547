// Bad input around the cluster: a peer nobody answers on (retried, the daemon serves meanwhile),
// a peer that is no address (a clear error at start), etcd unreachable at start (a warning at
// every try and a start once it answers, not a crash), and etcd going away and coming back
// while daemons run (operations on global networks fail as unavailable meanwhile; nothing is
// lost).
import t from 'tap'
import { Underlay, until, type Host } from './harness.js'
import { ApiError, Daemon, startCluster, untilMembers } from './daemons.js'

const isRoot = process.getuid?.() === 0
const skip = isRoot ? false : 'needs root (network namespaces)'

t.test('unknown and bad peers', { skip }, async (t) => {
  const u = await Underlay.create(t, { hosts: 2 })
  const [h1, h2] = u.hosts as [Host, Host]
  const d1 = await Daemon.start(u, h1, { cluster: { join: [`${u.subnet}.99:7946`] } })
  const retry = await d1.untilLog(
    'a retry of the unknown peer',
    (l) => l.msg === 'cluster: peer not reachable yet, will retry',
  )
  t.equal(retry.peer, `${u.subnet}.99:7946`, 'the log names the peer')
  t.same(
    (await d1.members()).map((m) => m.self),
    [true],
    'the daemon serves, alone in its cluster',
  )
  t.match(await d1.cli(['network', 'ls']), /NETWORK ID|ID/i, 'and answers the CLI')

  const d2 = await Daemon.start(u, h2, { cluster: { join: ['not-an-address:x'] }, noWait: true })
  const code = await d2.process.exited
  t.not(code, 0, 'a peer that is no address stops the start')
  t.match(d2.process.stderr, /join|peer|not-an-address/, 'with a message naming it', {
    stderr: d2.process.stderr.slice(-600),
  })
})

t.test('etcd unreachable at start', { skip }, async (t) => {
  const u = await Underlay.create(t, { hosts: 1 })
  const [h1] = u.hosts as [Host]
  const d = await Daemon.start(u, h1, {
    etcd: `http://${u.subnet}.2:2379`,
    cluster: {},
    noWait: true,
  })
  // It says what is wrong and keeps trying instead of exiting.
  const first = await d.untilLog(
    'a warning about etcd',
    (l) => l.level === 'warn' && /global store \(etcd\) does not answer/.test(l.msg),
  )
  t.match(JSON.stringify(first.endpoints), /2379/, 'the warning names the etcd endpoint')
  await d.untilLog('a second try', (l) => l.attempt === 2)
  t.ok(d.running, 'the daemon did not exit')
  // etcd comes up later: the daemon starts and works with it.
  await u.startEtcd()
  await d.ready()
  const net = await d.createNetwork({
    name: 'late',
    driver: 'overlay',
    ipam: { config: [{ subnet: '10.45.0.0/24' }] },
  })
  t.ok(net, 'a global network is created once etcd is up')
  t.ok(
    (await d.networks()).some((n) => n.name === 'late'),
    'the network exists',
  )
})

t.test('etcd goes away and comes back while the daemons run', { skip }, async (t) => {
  const u = await Underlay.create(t, { hosts: 2 })
  const etcd = await u.startEtcd()
  const ds = await startCluster(u, { etcd: true })
  const [d1, d2] = ds as [Daemon, Daemon]
  await untilMembers(ds)
  const net = await d1.createNetwork({
    name: 'before',
    driver: 'overlay',
    ipam: { config: [{ subnet: '10.46.0.0/24' }] },
  })
  await until('the network on host 2', async () =>
    (await d2.networks()).some((n) => n.id === net.id),
  )

  // Stop etcd (kill -9: as a crash; its data dir stays).
  await etcd.process.kill('SIGKILL')
  t.notOk(etcd.process.running, 'etcd is down')
  const err = await d1
    .createNetwork({
      name: 'during',
      driver: 'overlay',
      ipam: { config: [{ subnet: '10.46.1.0/24' }] },
    })
    .catch((e: unknown) => e)
  t.ok(err instanceof ApiError, 'a global network cannot be created', { err })
  t.equal((err as ApiError).status, 503, 'unavailable')
  t.notOk(
    (await d1.networks()).some((n) => n.name === 'during'),
    'and is not half there',
  )
  t.ok(
    (await d1.networks()).some((n) => n.id === net.id),
    'the network made before stays listed',
  )
  t.ok(d1.running && d2.running, 'both daemons run')

  // etcd back on the same data: everything made before is there, and work goes on.
  await u.restartEtcd()
  await until('a global network to be created again', async () => {
    try {
      await d2.createNetwork({
        name: 'after',
        driver: 'overlay',
        ipam: { config: [{ subnet: '10.46.2.0/24' }] },
      })
      return true
    } catch (e) {
      if (e instanceof ApiError && e.status === 503) return false
      throw e
    }
  })
  for (const d of ds) {
    await until(`both networks on ${d.host.name}`, async () => {
      const names = (await d.networks()).map((n) => n.name)
      return names.includes('before') && names.includes('after')
    })
  }
  t.pass('the network made before and the one made after are on both hosts')
})
