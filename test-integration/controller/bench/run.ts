// C1: create an endpoint and join it to a new sandbox on a bridge network, 100 containers, in a
// fresh "host" namespace (lnt-controller-bench-*); then leave + delete each. Reports median and
// p95 of join, median of leave, and the controller's RSS with 100 joined containers. Service
// discovery is on (files + embedded DNS), as in the daemon. Leave returns once the interface is
// out of service; C1.leave.settle is the time the kernel then still needs for the deletions.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { median, now, percentile, rssMiB, writeResults } from '../../../tools/bench.mjs'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Controller, oslSandboxOS, serviceDiscovery } from '@libnetwork/controller'
import { memoryStore } from '@libnetwork/datastore'
import { bridge } from '@libnetwork/driver-bridge'
import { IPNet } from '@libnetwork/types'
import { DefaultIpam } from '@libnetwork/ipam'

const sh = promisify(execFile)
const N = 100
const prefix = `lnt-controller-bench-${randomBytes(3).toString('hex')}`
const dir = mkdtempSync(join(tmpdir(), `${prefix}-`))

async function cleanup(): Promise<void> {
  rmSync(dir, { recursive: true, force: true })
  const { stdout } = await sh('ip', ['-j', 'netns', 'list'])
  for (const n of JSON.parse(stdout.trim() || '[]') as Array<{ name: string }>) {
    if (n.name.startsWith(prefix)) await sh('ip', ['netns', 'del', n.name]).catch(() => undefined)
  }
}

async function main(): Promise<void> {
  await sh('ip', ['netns', 'add', prefix])
  await sh('ip', ['-n', prefix, 'link', 'set', 'lo', 'up'])
  const c = await Controller.start({
    drivers: { bridge: bridge({}, { netns: prefix }) },
    ipams: { default: () => new DefaultIpam() },
    store: memoryStore(),
    os: oslSandboxOS({ hostNetns: prefix }),
    namespacePrefix: `${prefix}-sb-`,
    // hosts/resolv.conf files and the embedded DNS at 127.0.0.11, as the daemon runs it
    discovery: serviceDiscovery({ dir: join(dir, 'sandboxes'), hostResolvConf: join(dir, 'none') }),
  })
  const net = await c.createNetwork({
    name: 'bench',
    driver: 'bridge',
    ipam: { config: [{ subnet: IPNet.parse('10.50.0.0/16') }] },
  })
  const joins: number[] = []
  const pairs: Array<[string, string]> = []
  for (let i = 0; i < N; i++) {
    const t0 = now()
    const ep = await c.createEndpoint(net.id, { name: `ep${i}` })
    const sb = await c.createSandbox({ containerId: `bench${i}` })
    await c.join(ep.id, sb.id)
    joins.push(now() - t0)
    pairs.push([ep.id, sb.id])
  }
  const rss = rssMiB()
  const leaves: number[] = []
  for (const [ep, sb] of pairs) {
    const t0 = now()
    await c.leave(ep, sb)
    await c.deleteEndpoint(ep)
    await c.deleteSandbox(sb)
    leaves.push(now() - t0)
  }
  // The kernel deletes the veths in the background; how long until that is all done.
  const t0 = now()
  await c.settled()
  const settle = now() - t0
  await c.deleteNetwork(net.id)
  await c.stop()
  writeResults('controller', [
    {
      id: 'C1.join.median',
      name: 'create endpoint + create sandbox + join (bridge), median of 100',
      value: median(joins),
      unit: 'ms',
    },
    {
      id: 'C1.join.p95',
      name: 'create endpoint + create sandbox + join (bridge), p95 of 100',
      value: percentile(joins, 95),
      unit: 'ms',
    },
    {
      id: 'C1.leave.median',
      name: 'leave + delete endpoint + delete sandbox, median of 100',
      value: median(leaves),
      unit: 'ms',
    },
    {
      id: 'C1.leave.settle',
      name: 'after the 100 leaves: time until the background veth deletions are done',
      value: settle,
      unit: 'ms',
    },
    {
      id: 'C1.rss',
      name: 'controller process RSS with 100 joined containers',
      value: rss,
      unit: 'MiB',
    },
  ])
}

try {
  await main()
} finally {
  await cleanup()
}
