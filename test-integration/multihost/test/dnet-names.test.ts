// Container names across hosts (with etcd): a container on host 1 and one on host 2 on one
// overlay network (IPv4 and IPv6) resolve each other's name and alias through 127.0.0.11 (A,
// AAAA and PTR), and after a detach the name is gone on the other host.
import t from 'tap'
import { Underlay, until } from './harness.js'
import type { Daemon } from './daemons.js'
import { startCluster, untilMembers } from './daemons.js'

const isRoot = process.getuid?.() === 0
const addr = (cidr: string | null): string => cidr!.split('/')[0]!

t.test(
  'names and aliases resolve across hosts, and go with the detach',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 2 })
    await u.startEtcd()
    const [d1, d2] = (await startCluster(u, { etcd: true })) as [Daemon, Daemon]
    await untilMembers([d1, d2])
    const net = await d1.createNetwork({
      name: 'ov',
      driver: 'overlay',
      ipv6: true,
      ipam: { config: [{ subnet: '10.40.0.0/24' }, { subnet: 'fd00:40::/64' }] },
    })
    t.equal(net.scope, 'global', 'an overlay network is global')
    await until('the network on host 2', async () =>
      (await d2.networks()).some((n) => n.id === net.id),
    )
    const epA = await d1.run('ov', 'a', { aliases: ['alpha'] })
    const epB = await d2.run('ov', 'b', { aliases: ['beta'] })
    const [a, a6] = [addr(epA.ipv4Address), addr(epA.ipv6Address)]
    const [b, b6] = [addr(epB.ipv4Address), addr(epB.ipv6Address)]
    t.not(a, b, 'two addresses')

    await d2.untilResolves('b', 'a', [a])
    t.same(await d2.resolve('b', 'alpha'), [a], 'host 2 resolves the alias of a')
    t.match((await d2.resolve('b', a, 'PTR'))[0], /^a(\.|$)/, 'and a’s address back to a')
    t.same(await d2.resolve('b', 'a', 'AAAA'), [a6], 'AAAA: a’s IPv6 address')
    t.match((await d2.resolve('b', a6, 'PTR'))[0], /^a(\.|$)/, 'and its IPv6 address back to a')
    await d1.untilResolves('a', 'b', [b])
    t.same(await d1.resolve('a', 'beta'), [b], 'host 1 resolves the alias of b')
    t.match((await d1.resolve('a', b, 'PTR'))[0], /^b(\.|$)/, 'and b’s address back to b')
    t.same(await d1.resolve('a', 'beta', 'AAAA'), [b6], 'AAAA of the alias of b')

    await d1.detach('a', 'ov', 'a')
    await d2.untilResolves('b', 'a', [])
    t.same(await d2.resolve('b', 'alpha'), [], 'the alias is gone on host 2 too')
    t.same(await d2.resolve('b', a, 'PTR'), [], 'and the address')
    t.same(await d2.resolve('b', 'a', 'AAAA'), [], 'and the AAAA')
    t.same(await d2.resolve('b', a6, 'PTR'), [], 'and the IPv6 address')
    t.same(await d2.resolve('b', 'beta'), [b], 'host 2’s own name stays')
  },
)
