// The dnet clusters the multi-host benchmarks run on: N hosts on the underlay, etcd, a daemon per
// host with [cluster] and [datastore.global], one overlay network seen by every host, and a
// container on every host but the first with a DNS prober in it.
import { Underlay, until, type Teardown } from '../test/harness.js'
import { Daemon, untilMembers, type DnsProber, type NetworkView } from '../test/daemons.js'
import { median, now } from '../../../tools/bench.mjs'

export interface Result {
  id: string
  name: string
  value: number
  unit: string
}

export interface BenchCluster {
  u: Underlay
  ds: Daemon[]
  net: NetworkView
}

/** Daemons live long enough for a slow run (the harness kills them at teardown anyway). */
const LIFETIME_S = 1800

export async function cluster(td: Teardown, hosts: number, subnet: string): Promise<BenchCluster> {
  const u = await Underlay.create(td, { hosts })
  await u.startEtcd({ lifetimeS: LIFETIME_S })
  // One at a time: a loaded machine starting ten daemons at once can keep etcd from answering
  // their first list within 5 s, and a daemon does not start without it yet.
  const ds: Daemon[] = []
  for (const h of u.hosts) {
    const join = ds.length ? [u.hosts[0]!] : []
    ds.push(
      await Daemon.start(u, h, {
        etcd: true,
        lifetimeS: LIFETIME_S,
        logLevel: 'warn',
        cluster: { join },
      }),
    )
  }
  await untilMembers(ds, ds.length, 180_000)
  const net = await ds[0]!.createNetwork({
    name: 'bench',
    driver: 'overlay',
    ipam: { config: [{ subnet }] },
  })
  for (const d of ds) {
    await until(
      `the network on ${d.host.name}`,
      async () => (await d.networks()).some((n) => n.id === net.id),
      60_000,
    )
  }
  return { u, ds, net }
}

/**
 * M1: attach a container on the first host; from the REST answer until every other host's
 * embedded DNS answers its name. Median over `runs` containers (ms).
 */
export async function m1(c: BenchCluster, runs = 20): Promise<number> {
  const [a, ...others] = c.ds as [Daemon, ...Daemon[]]
  const probers: DnsProber[] = []
  for (const d of others) {
    await d.run('bench', `probe-${d.host.name}`)
    probers.push(await d.prober(`probe-${d.host.name}`))
  }
  // A first name through every prober: the probes run and resolve before timing starts.
  await a.run('bench', 'm1-warm')
  await Promise.all(probers.map((p) => p.wait('A', 'm1-warm')))
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const name = `m1-${i}`
    await a.createContainer(name)
    await a.publish('bench', name)
    await a.attach(name, 'bench', name)
    const t0 = now()
    await Promise.all(probers.map((p) => p.wait('A', name)))
    times.push(now() - t0)
  }
  await Promise.all(probers.map((p) => p.close()))
  return median(times)
}

/** M2: a global network created on the first host until `GET /networks` on the second lists it. */
export async function m2(c: BenchCluster, runs = 10): Promise<{ shown: number; created: number }> {
  const [a, b] = c.ds as [Daemon, Daemon]
  const times: number[] = []
  const created: number[] = []
  for (let i = 0; i < runs; i++) {
    const t0 = now()
    const net = await a.createNetwork({
      name: `m2-${i}`,
      driver: 'overlay',
      ipam: { config: [{ subnet: `10.60.${i}.0/24` }] },
    })
    created.push(now() - t0)
    for (;;) {
      if ((await b.networks()).some((n) => n.id === net.id)) break
    }
    times.push(now() - t0)
  }
  return { shown: median(times), created: median(created) }
}

/** M3: the first two hosts publish `each` services at once on one network (one global pool). */
export async function m3(
  c: BenchCluster,
  each = 500,
): Promise<{ rate: number; dup: number; alone: number }> {
  const [a, b] = c.ds as [Daemon, Daemon]
  const net = await a.createNetwork({
    name: 'm3',
    driver: 'overlay',
    ipam: { config: [{ subnet: '10.61.0.0/21' }] },
  })
  await until('m3 on host 2', async () => (await b.networks()).some((n) => n.id === net.id))
  const t0 = now()
  const [x, y] = await Promise.all([a.publishMany('m3', 'a', each), b.publishMany('m3', 'b', each)])
  const secs = (now() - t0) / 1000
  const all = [...x, ...y]
  // The same on one host alone, for the cost of two writers on one pool.
  const t1 = now()
  const z = await a.publishMany('m3', 'c', each / 2)
  const alone = z.length / ((now() - t1) / 1000)
  return { rate: all.length / secs, dup: all.length - new Set(all).size, alone }
}
