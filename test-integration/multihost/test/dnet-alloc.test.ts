// Two hosts allocating 500 addresses each at once from one global pool on etcd: no address is
// handed out twice.
import t from 'tap'
import { Underlay, until } from './harness.js'
import type { Daemon } from './daemons.js'
import { startCluster, untilMembers } from './daemons.js'

const isRoot = process.getuid?.() === 0

t.test(
  'two hosts, 500 addresses each, at once, one pool: no duplicates',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 2 })
    await u.startEtcd()
    const ds = await startCluster(u, { etcd: true })
    const [d1, d2] = ds as [Daemon, Daemon]
    await untilMembers(ds)
    const net = await d1.createNetwork({
      name: 'pool',
      driver: 'overlay',
      ipam: { config: [{ subnet: '10.43.0.0/22' }] },
    })
    await until('the network on host 2', async () =>
      (await d2.networks()).some((n) => n.id === net.id),
    )
    const [a, b] = await Promise.all([
      d1.publishMany('pool', 'a', 500),
      d2.publishMany('pool', 'b', 500),
    ])
    t.equal(a.length + b.length, 1000, '1000 endpoints')
    const all = [...a, ...b]
    const dup = all.filter((ip, i) => all.indexOf(ip) !== i)
    t.same(dup, [], 'no address twice')
    t.ok(
      a.every((ip) => ip.startsWith('10.43.')) && b.every((ip) => ip.startsWith('10.43.')),
      'all from the pool',
    )
  },
)
