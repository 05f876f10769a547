// Multi-host control-plane benchmarks (issue 16), written to bench-results/multihost.json:
//   M1.n3, M1.n10  attach on host A until every other host's embedded DNS answers (median of 20)
//   M2             a global network created on A until `GET /networks` on B lists it (median)
//   M3, M3.dup     two hosts allocating addresses at once from one global pool on etcd (and
//                  M3.alone: one host alone, for comparison)
//   M4.rss         a daemon's RSS in a 10-host cluster with 50 containers; M4.rss.single the same
//                  50 containers on a single host (no cluster, a bridge network)
// MULTIHOST_BENCH=n3,n10,single picks parts (default all). Needs root.
import { writeResults } from '../../../tools/bench.mjs'
import { Underlay, type Teardown } from '../test/harness.js'
import { Daemon } from '../test/daemons.js'
import { cluster, m1, m2, m3, type Result } from './multihost-cluster.js'

const only = (process.env.MULTIHOST_BENCH ?? 'n3,n10,single').split(',')
const round = (v: number, d = 1): number => Math.round(v * 10 ** d) / 10 ** d

/** `n` containers attached to `network` on `d`, names `<prefix><i>`. */
async function containers(d: Daemon, network: string, prefix: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await d.run(network, `${prefix}${i}`)
}

const parts: Record<string, (td: Teardown) => Promise<Result[]>> = {
  async n3(td) {
    const c = await cluster(td, 3, '10.50.0.0/24')
    const out: Result[] = []
    const v1 = await m1(c)
    out.push({
      id: 'M1.n3',
      name: 'attach on A until 2 other hosts resolve it (median of 20)',
      value: round(v1),
      unit: 'ms',
    })
    const v2 = await m2(c)
    out.push({
      id: 'M2',
      name: 'global network created on A until network ls on B shows it (median of 10)',
      value: round(v2.shown),
      unit: 'ms',
    })
    out.push({
      id: 'M2.create',
      name: 'of which the create request on A (median of 10)',
      value: round(v2.created),
      unit: 'ms',
    })
    const r = await m3(c)
    out.push({
      id: 'M3',
      name: 'two hosts allocating 500 addresses each at once, one global pool (total)',
      value: Math.round(r.rate),
      unit: 'addr/s',
    })
    out.push({
      id: 'M3.alone',
      name: 'one host allocating 250 addresses alone from the same pool',
      value: Math.round(r.alone),
      unit: 'addr/s',
    })
    out.push({
      id: 'M3.dup',
      name: 'addresses handed out twice in M3',
      value: r.dup,
      unit: 'count',
    })
    return out
  },
  async n10(td) {
    const c = await cluster(td, 10, '10.51.0.0/24')
    const out: Result[] = []
    const v1 = await m1(c)
    out.push({
      id: 'M1.n10',
      name: 'attach on A until 9 other hosts resolve it (median of 20)',
      value: round(v1),
      unit: 'ms',
    })
    // Host A holds 21 containers after M1; 29 more makes 50.
    const a = c.ds[0]!
    await containers(a, 'bench', 'm4-', 29)
    out.push({
      id: 'M4.rss',
      name: 'dnet RSS, 10-host cluster, 50 containers on its host',
      value: round(a.rssMiB()),
      unit: 'MiB',
    })
    return out
  },
  async single(td) {
    const u = await Underlay.create(td, { hosts: 1 })
    const d = await Daemon.start(u, u.hosts[0]!, { lifetimeS: 1800, logLevel: 'warn' })
    await d.createNetwork({ name: 'br', ipam: { config: [{ subnet: '10.52.0.0/24' }] } })
    await containers(d, 'br', 'm4-', 50)
    return [
      {
        id: 'M4.rss.single',
        name: 'dnet RSS, single host (no cluster), 50 containers on a bridge network',
        value: round(d.rssMiB()),
        unit: 'MiB',
      },
    ]
  },
}

const results: Result[] = []
for (const [name, run] of Object.entries(parts)) {
  if (!only.includes(name)) continue
  const cleanups: (() => unknown)[] = []
  try {
    results.push(...(await run({ teardown: (fn) => void cleanups.push(fn) })))
  } finally {
    for (const fn of cleanups.reverse()) await fn()
  }
}
writeResults('multihost', results)
