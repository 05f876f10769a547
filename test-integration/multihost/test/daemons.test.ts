// The daemon helper (daemons.ts) on one host: a daemon answers its API and its CLI, its
// containers' namespaces are found, a command runs inside one, and the embedded DNS answers
// A and PTR questions asked from inside a container (and stops after the detach).
import t from 'tap'
import { Underlay, namespaces, type Host } from './harness.js'
import { ApiError, Daemon } from './daemons.js'

const isRoot = process.getuid?.() === 0

t.test('a daemon on a harness host', { skip: isRoot ? false : 'needs root' }, async (t) => {
  const u = await Underlay.create(t, { hosts: 1 })
  const [h1] = u.hosts as [Host]
  const d = await Daemon.start(u, h1)
  const net = await d.createNetwork({ name: 'web', ipam: { config: [{ subnet: '10.31.0.0/24' }] } })
  t.match(await d.cli(['network', 'ls', '-q']), net.id.slice(0, 12), 'the CLI sees the network')
  const a = await d.run('web', 'a', { aliases: ['alpha'] })
  await d.run('web', 'b')
  t.ok(
    (await namespaces(d.sandboxPrefix)).length >= 2,
    'containers are namespaces under the daemon prefix',
  )
  const ip = a.ipv4Address!.split('/')[0]!
  t.match(await d.inContainer('a', ['ip', '-4', 'addr']), ip, 'a command runs inside a container')
  t.same(await d.resolve('b', 'a'), [ip], 'b resolves a')
  t.same(await d.resolve('b', 'alpha'), [ip], 'b resolves the alias of a')
  t.match((await d.resolve('b', ip, 'PTR')).join(), /^a(\.|$|,)/, 'and its address back')
  await d.detach('a', 'web', 'a')
  await d.untilResolves('b', 'a', [])
  t.same(await d.resolve('b', 'a'), [], 'gone after the detach')
  const err = await d.deleteNetwork('nope').catch((e: unknown) => e)
  t.ok(err instanceof ApiError && err.status === 404, 'an API error is an ApiError with its status')
  await d.kill('SIGTERM')
  t.ok(
    d.logs().some((l) => l.msg === 'dnet daemon stopped'),
    'stopped cleanly',
  )
})
