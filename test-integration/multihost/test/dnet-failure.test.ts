// kill -9 of one dnet host: its container's name stops resolving on the other hosts once gossip
// has found the failure and reaped its entries; restarted on the same store, the daemon rejoins,
// re-announces its container, and the name resolves again (once: no entry of its previous life).
import t from 'tap'
import { Underlay, until } from './harness.js'
import type { Daemon } from './daemons.js'
import { startCluster, untilMembers } from './daemons.js'

const isRoot = process.getuid?.() === 0
const addr = (cidr: string | null): string => cidr!.split('/')[0]!

t.test(
  'a killed host’s names are reaped, and come back with it',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 3 })
    await u.startEtcd()
    const ds = await startCluster(u, { etcd: true })
    const [d1, d2, d3] = ds as [Daemon, Daemon, Daemon]
    await untilMembers(ds)
    const net = await d1.createNetwork({
      name: 'ov',
      driver: 'overlay',
      ipam: { config: [{ subnet: '10.44.0.0/24' }] },
    })
    for (const d of ds)
      await until(`the network on ${d.host.name}`, async () =>
        (await d.networks()).some((n) => n.id === net.id),
      )
    const ips: string[] = []
    for (const [i, d] of ds.entries()) ips.push(addr((await d.run('ov', `c${i + 1}`)).ipv4Address))
    for (const d of [d1, d2]) await d.untilResolves(d === d1 ? 'c1' : 'c2', 'c3', [ips[2]!])
    t.pass('c3 resolves on hosts 1 and 2')

    await d3.kill('SIGKILL')
    await d1.untilLog(
      'host 1 sees host 3 fail',
      (l) => l.msg === 'cluster: member' && l.change === 'failed',
    )
    await d1.untilResolves('c1', 'c3', [])
    await d2.untilResolves('c2', 'c3', [])
    t.pass('after the failure, c3 no longer resolves on hosts 1 and 2')
    t.same(await d1.resolve('c1', 'c2'), [ips[1]!], 'c2 still does')

    await d3.restart()
    await untilMembers(ds)
    const c3 = (await d3.services('ov')).find((e) => e.name === 'c3')
    t.ok(c3?.sandboxId, 'host 3 restored c3, joined to its endpoint', { c3 })
    t.equal(c3?.ipv4Address?.split('/')[0], ips[2], 'with its address')
    await d1.untilResolves('c1', 'c3', [ips[2]!])
    await d2.untilResolves('c2', 'c3', [ips[2]!])
    t.pass('c3 resolves again on hosts 1 and 2, to one address')
    await d3.untilResolves('c3', 'c1', [ips[0]!])
    t.pass('and host 3 resolves the others again')
  },
)
