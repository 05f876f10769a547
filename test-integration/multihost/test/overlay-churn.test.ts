// 200 create/attach/detach/rm cycles across three dnet hosts on one overlay, the three hosts
// working at once (so every attach and detach also adds and removes peer entries on the other
// two): afterwards no namespace, link, FDB or neighbour entry, rule or address is left in any
// host namespace, and nothing in the daemons' stores or etcd.
import t from 'tap'
import { until } from './harness.js'
import {
  createOverlay,
  ipOf,
  settledLeftovers,
  overlayNamespaces,
  overlayWorld,
  remoteFdb,
  removeGateways,
  removeOverlay,
  snap,
  untilPing,
  type Mode,
} from './overlay-dnet.js'

const isRoot = process.getuid?.() === 0
const CYCLES = Number(process.env.OVERLAY_CHURN_CYCLES ?? 200)
const MODE = (process.env.OVERLAY_CHURN_MODE ?? 'etcd') as Mode

t.test(
  `${CYCLES} create/attach/detach/rm cycles across 3 hosts leave nothing (${MODE})`,
  { skip: isRoot ? false : 'needs root (network namespaces)', timeout: 900_000 },
  async (t) => {
    const w = await overlayWorld(t, MODE, 3, { logLevel: 'warn', lifetimeS: 890 })
    const before = await snap(w)
    await createOverlay(w, { name: 'ov', subnet: '10.79.0.0/24', vni: 4179 })
    let checked = 0
    for (let c = 0; c < CYCLES; c++) {
      const name = (i: number) => `k${c}h${i}`
      const eps = await Promise.all(w.ds.map((d, i) => d.run('ov', name(i))))
      if (c % 50 === 0) t.comment(`cycle ${c}`)
      if (c % 50 === 0 || c === CYCLES - 1) {
        // a sample of the cycles: the three containers of this cycle reach each other
        const ips = eps.map((e) => ipOf(e.ipv4Address))
        for (const [i, d] of w.ds.entries())
          for (const [j, ip] of ips.entries()) if (i !== j) await untilPing(d, name(i), ip, 60_000)
        checked++
      }
      await Promise.all(
        w.ds.map(async (d, i) => {
          await d.detach(name(i), 'ov', name(i))
          await d.unpublish('ov', name(i))
          await d.deleteContainer(name(i))
        }),
      )
    }
    t.ok(checked >= 2, `connectivity checked in ${checked} cycles`)
    for (const d of w.ds) {
      await until(
        `${d.host.name}: no overlay namespace`,
        async () => (await overlayNamespaces(d)).length === 0,
      )
      t.same(await remoteFdb(d), [], `${d.host.name}: no peer FDB entry`)
    }
    await removeOverlay(w, 'ov')
    await removeGateways(w)
    t.same(await settledLeftovers(w, before), [], 'nothing left on any host or in the stores')
  },
)
