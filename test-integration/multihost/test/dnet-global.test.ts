// Global networks on etcd, upstream's multi-node scenarios re-scripted on three dnet hosts: a
// network created on each host is listed on all; removed from host 2, it is gone on all; a
// network with an endpoint on another host cannot be removed; a service published on each host
// is listed by all.
import t from 'tap'
import { Underlay, until } from './harness.js'
import type { Daemon } from './daemons.js'
import { ApiError, startCluster, untilMembers } from './daemons.js'

const isRoot = process.getuid?.() === 0

async function listedOn(ds: Daemon[], id: string, present = true): Promise<void> {
  for (const d of ds) {
    await until(
      `network ${id.slice(0, 12)} ${present ? '' : 'not '}listed on ${d.host.name}`,
      async () => (await d.networks()).some((n) => n.id === id) === present,
    )
  }
}

t.test(
  'global networks on three hosts',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 3 })
    await u.startEtcd()
    const ds = await startCluster(u, { etcd: true })
    const [d1, d2, d3] = ds as [Daemon, Daemon, Daemon]
    await untilMembers(ds)

    const made = []
    for (const [i, d] of ds.entries()) {
      made.push(
        await d.createNetwork({
          name: `g${i + 1}`,
          driver: 'overlay',
          ipam: { config: [{ subnet: `10.42.${i + 1}.0/24` }] },
        }),
      )
    }
    for (const n of made) await listedOn(ds, n.id)
    t.pass('a network created on each host is listed on all three')
    const seen = await d3.api<{ name: string; ipam: { config: { subnet?: string }[] } }>(
      'GET',
      `/networks/${made[0]!.id}`,
    )
    t.equal(seen.name, 'g1', 'host 3 inspects host 1’s network by id')
    t.equal(seen.ipam.config[0]?.subnet, '10.42.1.0/24', 'with its subnet')

    await d2.deleteNetwork('g1')
    await listedOn(ds, made[0]!.id, false)
    t.pass('removed on host 2, gone on all')

    // A network with an endpoint on host 3 cannot be removed from host 1.
    await d3.publish('g2', 'busy')
    const err = await d1.deleteNetwork('g2').catch((e: unknown) => e)
    t.ok(err instanceof ApiError, 'refused', { err })
    t.equal((err as ApiError).status, 409, 'as a conflict')
    t.match((err as ApiError).message, /g2|endpoint/, 'naming the network or its endpoints')
    for (const d of ds)
      t.ok(
        (await d.networks()).some((n) => n.name === 'g2'),
        `g2 stays on ${d.host.name}`,
      )
    await d3.unpublish('g2', 'busy')
    await d1.deleteNetwork('g2')
    await listedOn(ds, made[1]!.id, false)
    t.pass('without the endpoint it goes, everywhere')

    // A service published on each host is listed on every host (upstream lists the endpoints
    // of a global network from the global store).
    for (const [i, d] of ds.entries()) await d.publish('g3', `svc${i + 1}`)
    for (const d of ds) {
      await until(
        `three services of g3 listed on ${d.host.name}`,
        async () => (await d.services('g3')).length === 3,
      )
      t.same(
        (await d.services('g3')).map((s) => s.name).sort(),
        ['svc1', 'svc2', 'svc3'],
        `${d.host.name} lists every host’s service`,
      )
    }
  },
)
