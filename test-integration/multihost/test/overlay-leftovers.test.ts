// The leftovers checker against the overlay driver itself on three harness hosts: while
// containers are attached it sees what the driver made (the network namespaces, their static
// FDB and neighbour entries, the veths); after every endpoint and network is removed it sees
// nothing; and a planted leftover in a host namespace is reported.
import t from 'tap'
import { Underlay, sh, until } from './harness.js'
import {
  attachNs,
  containerNs,
  detachNs,
  overlayDrivers,
  overlayNetwork,
  pingOnce,
} from './overlay-driver-hosts.js'
import { needsRoot } from './overlay-dnet.js'
import { leftovers, snapshot } from './overlay-leftovers.js'

t.test(
  'the checker sees the overlay state of every host, and none after removal',
  { skip: needsRoot },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 3 })
    const ds = overlayDrivers(t, u)
    // containers are made by the test, not by the driver: not counted as the host's own
    const opts = { prefixes: (h: { ns: string }) => [`${h.ns}-ov`] }
    const before = await snapshot(u, opts)
    const net = overlayNetwork(2, 5002)
    for (const d of ds) await d.driver.createNetwork(net)
    const ips = ds.map((_, i) => `10.82.0.${i + 2}`)
    const ctrs: string[] = []
    for (const [i, d] of ds.entries()) {
      ctrs.push(await containerNs(d.host, `c${i}`))
      await attachNs(d.driver, net, String(i + 1).repeat(64), `${ips[i]}/24`, ctrs[i]!)
    }
    for (const [i, c] of ctrs.entries())
      for (const [j, ip] of ips.entries())
        if (i !== j) await until(`c${i} -> ${ip}`, () => pingOnce(c, ip))

    const during = leftovers(before, await snapshot(u, opts))
    for (const h of u.hosts) {
      const mine = during.filter((l) => l.startsWith(`${h.name} `))
      t.ok(
        mine.some((l) => / namespaces: .*-ov5002-/.test(l)),
        `${h.name}: the network namespace`,
      )
      const peers = u.hosts.filter((o) => o !== h).map((o) => o.ip)
      for (const p of peers)
        t.ok(
          mine.some((l) => l.includes(' fdb: ') && l.includes(`dst ${p} `)),
          `${h.name}: a static FDB entry towards ${p}`,
          { mine },
        )
      t.equal(
        mine.filter((l) => / neigh: .*10\.82\.0\./.test(l)).length,
        2,
        `${h.name}: one neighbour entry per remote container`,
      )
      t.ok(
        mine.some((l) => l.includes(' links: ') && l.includes(' veth')),
        `${h.name}: the container's veth (host end in the network namespace)`,
      )
    }

    for (const [i, d] of ds.entries())
      await detachNs(d.driver, net.networkId, String(i + 1).repeat(64))
    for (const d of ds) await d.driver.deleteNetwork({ networkId: net.networkId })
    t.same(leftovers(before, await snapshot(u, opts)), [], 'nothing left on any host')

    // a planted leftover in host 2's namespace is reported
    const h2 = u.hosts[1]!
    await sh([
      'ip',
      '-n',
      h2.ns,
      'neigh',
      'add',
      '10.98.0.9',
      'lladdr',
      '02:42:0a:62:00:09',
      'dev',
      'eth0',
    ])
    t.same(
      leftovers(before, await snapshot(u, opts)),
      ['h2 neigh: 10.98.0.9 dev eth0 lladdr 02:42:0a:62:00:09'],
      'a stray neighbour entry is a leftover',
    )
  },
)
