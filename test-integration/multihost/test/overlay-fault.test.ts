// kill -9 of one dnet host on an overlay: its containers' peer entries leave the FDB and
// neighbour tables of every other host (failure detection, then the dead node's entries are
// dropped); restarted, it restores its overlay namespace and republishes, connectivity comes
// back, and no FDB entry is there twice.
import t from 'tap'
import { until } from './harness.js'
import {
  createOverlay,
  ipOf,
  overlayNamespaces,
  overlayWorld,
  remoteFdb,
  untilPing,
} from './overlay-dnet.js'
import { sh } from './harness.js'

const isRoot = process.getuid?.() === 0

/** The MAC of each remote FDB entry; a MAC listed twice is a duplicate. */
const macs = (fdb: string[]) => fdb.map((l) => l.split(' ')[0]!)
const dups = (xs: string[]) => xs.filter((x, i) => xs.indexOf(x) !== i)

t.test(
  'kill -9 of a host: its peers leave every FDB; restarted: back, no duplicates',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const w = await overlayWorld(t, 'etcdless')
    await createOverlay(w, { name: 'ov', subnet: '10.71.0.0/24', vni: 4171 })
    const names = ['c1', 'c2', 'c3']
    const eps = []
    for (const [i, d] of w.ds.entries()) eps.push(await d.run('ov', names[i]!))
    const ips = eps.map((e) => ipOf(e.ipv4Address))
    for (const [i, d] of w.ds.entries())
      for (const [j, ip] of ips.entries()) if (i !== j) await untilPing(d, names[i]!, ip)
    const [d1, d2, d3] = w.ds as [(typeof w.ds)[0], (typeof w.ds)[0], (typeof w.ds)[0]]
    const h3 = d3.host.ip
    for (const d of [d1, d2])
      t.ok(
        (await remoteFdb(d)).some((l) => l.includes(`dst ${h3} `)),
        `${d.host.name} has an FDB entry towards host 3`,
      )

    await d3.kill('SIGKILL')
    const killed = Date.now()
    for (const d of [d1, d2]) {
      await until(
        `${d.host.name} drops host 3's peers`,
        async () => !(await remoteFdb(d)).some((l) => l.includes(`dst ${h3} `)),
        60_000,
      )
      const [ns] = await overlayNamespaces(d)
      t.notMatch(
        await sh(['ip', '-n', ns!, 'neigh', 'show']),
        new RegExp(`^${ips[2]!.replace(/\./g, '\\.')} `, 'm'),
        `${d.host.name}: no neighbour entry for c3 left`,
      )
    }
    t.pass('host 3 failed: its peers left every FDB and neighbour table')
    // for the report only (speed is not asserted): how long the reap took here
    t.comment(`host 3's peers were gone from every FDB ${Date.now() - killed} ms after kill -9`)

    await d3.restart()
    for (const [i, d] of w.ds.entries())
      for (const [j, ip] of ips.entries()) if (i !== j) await untilPing(d, names[i]!, ip, 60_000)
    t.pass('every pair reaches again after the restart')
    for (const d of w.ds) {
      const fdb = await remoteFdb(d)
      t.same(dups(macs(fdb)), [], `${d.host.name}: no FDB entry twice`, { fdb })
      t.equal(fdb.length, 2, `${d.host.name}: one entry per remote container`, { fdb })
    }
    t.equal((await overlayNamespaces(d3)).length, 1, 'host 3 has one overlay namespace again')
  },
)
