// Benchmarks of @libnetwork/osl against the built package. The host side is a throwaway
// namespace and sandboxes live in a private run dir. Writes bench-results/osl.json.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IP, InterfaceAddress } from '@libnetwork/types'
import { Netlink, createNetns, deleteNetns, listNetns } from '@libnetwork/netlink'
import { median, now, percentile, writeResults } from '../../../tools/bench.mjs'
import { Osl } from '../dist/index.js'

const RUNS = 100
const hostName = `lnt-osl-bench-${process.pid}`
const runDir = mkdtempSync(join(tmpdir(), 'lnt-osl-bench-'))
createNetns(hostName)
const osl = new Osl({ runDir, hostNetns: `/var/run/netns/${hostName}` })
const host = Netlink.open({ netns: hostName })
const create: number[] = []
const joins: number[] = []
const destroy: number[] = []
const vethJoins: number[] = []
const retires: number[] = []
const deletes: number[] = []
try {
  host.createLink({ kind: 'bridge', name: 'br0', up: true })
  for (let i = 0; i < RUNS + 5; i++) {
    host.createLink({
      kind: 'veth',
      name: `vh${i}`,
      peer: { name: `vc${i}` },
      master: 'br0',
      up: true,
    })
    const t0 = now()
    const sb = osl.createSandbox(`sb${i}`)
    const t1 = now()
    sb.join({
      srcName: `vc${i}`,
      addresses: [InterfaceAddress.parse('172.31.0.2/16')],
      gateway: IP.parse('172.31.0.1'),
    })
    const t2 = now()
    sb.destroy({ moveBack: false })
    const t3 = now()
    if (i >= 5) {
      create.push(t1 - t0)
      joins.push(t2 - t1)
      destroy.push(t3 - t2)
    }
  }
  for (let i = 0; i < RUNS + 5; i++) {
    const sb = osl.createSandbox(`sv${i}`)
    const t0 = now()
    sb.joinVeth({
      hostName: `vx${i}`,
      master: 'br0',
      addresses: [InterfaceAddress.parse('172.31.0.2/16')],
      gateway: IP.parse('172.31.0.1'),
    })
    if (i >= 5) vethJoins.push(now() - t0)
    sb.destroy({ moveBack: false })
  }
  // Taking an interface out: deleted synchronously vs retired (deleted in the background).
  for (let i = 0; i < 2 * (RUNS + 5); i++) {
    const sb = osl.createSandbox(`sr${i}`)
    sb.joinVeth({ hostName: `vr${i}`, addresses: [InterfaceAddress.parse('172.31.0.2/16')] })
    const t0 = now()
    if (i % 2 === 0) void sb.retireInterface('eth0')
    else sb.removeInterface('eth0')
    if (i >= 10) (i % 2 === 0 ? retires : deletes).push(now() - t0)
    sb.destroy({ moveBack: false })
  }
  await osl.settled()
} finally {
  host.close()
  osl.close()
  for (const k of listNetns({ runDir })) deleteNetns(k, { runDir })
  rmSync(runDir, { recursive: true, force: true })
  deleteNetns(hostName)
}
writeResults('osl', [
  {
    id: 'O1.create',
    name: 'create a sandbox (namespace, loopback up), median',
    value: median(create),
    unit: 'ms',
  },
  {
    id: 'O1.join',
    name: 'join: move in, rename, address, up, default route, median',
    value: median(joins),
    unit: 'ms',
  },
  { id: 'O1.join.p95', name: 'join, 95th percentile', value: percentile(joins, 95), unit: 'ms' },
  {
    id: 'O1.joinVeth',
    name: 'joinVeth: veth born inside, address, up, default route, host end on bridge, median',
    value: median(vethJoins),
    unit: 'ms',
  },
  {
    id: 'O1.joinVeth.p95',
    name: 'joinVeth, 95th percentile',
    value: percentile(vethJoins, 95),
    unit: 'ms',
  },
  {
    id: 'O1.retire',
    name: 'retireInterface (down, addresses, rename; deletion in the background), median',
    value: median(retires),
    unit: 'ms',
  },
  {
    id: 'O1.removeDelete',
    name: 'removeInterface deleting a veth synchronously, median',
    value: median(deletes),
    unit: 'ms',
  },
  {
    id: 'O1.destroy',
    name: 'destroy a sandbox with its interface, median',
    value: median(destroy),
    unit: 'ms',
  },
])
