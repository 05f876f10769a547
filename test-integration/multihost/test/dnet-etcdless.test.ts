// The etcd-less mode (upstream's "overlay-local"): the same overlay network is created on every
// host with one `--id`, one subnet and a per-host `--ip-range`, and a fixed VNI; endpoints travel
// through NetworkDB only, and names resolve across hosts.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Underlay } from './harness.js'
import type { Daemon } from './daemons.js'
import { startCluster, untilMembers } from './daemons.js'

const isRoot = process.getuid?.() === 0
const addr = (cidr: string | null): string => cidr!.split('/')[0]!

t.test(
  'one network on each host by --id, per-host ranges, names across hosts',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 3 })
    const ds = await startCluster(u)
    await untilMembers(ds)
    const id = randomBytes(32).toString('hex')
    const nets = await Promise.all(
      ds.map((d, i) =>
        d.cli([
          'network',
          'create',
          '-d',
          'overlay',
          '--id',
          id,
          '--subnet',
          '10.41.0.0/24',
          '--ip-range',
          `10.41.0.${64 * i}/26`,
          '-o',
          'com.docker.network.driver.overlay.vxlanid_list=4141',
          'ov',
        ]),
      ),
    )
    t.same(
      nets.map((n) => n.trim()),
      [id, id, id],
      'each host made the network with the given id',
    )
    const ips: string[] = []
    for (const [i, d] of ds.entries()) {
      const ip = addr((await d.run('ov', `c${i + 1}`)).ipv4Address)
      const last = Number(ip.split('.')[3])
      t.ok(last >= 64 * i && last < 64 * (i + 1), `c${i + 1} got ${ip} from host ${i + 1}’s range`)
      ips.push(ip)
    }
    for (const [i, d] of ds.entries()) {
      for (const [j] of ds.entries()) {
        if (i === j) continue
        await d.untilResolves(`c${i + 1}`, `c${j + 1}`, [ips[j]!])
      }
    }
    t.pass('every container resolves every other across hosts')
    const d1 = ds[0] as Daemon
    await d1.detach('c1', 'ov', 'c1')
    for (const d of ds.slice(1)) await d.untilResolves(`c${ds.indexOf(d) + 1}`, 'c1', [])
    t.pass('a detach on host 1 removes the name on the others')
  },
)
