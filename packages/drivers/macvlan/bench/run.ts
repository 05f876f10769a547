// V1: attaching a container (createEndpoint + join) to a macvlan network, against the bridge
// driver's attach in the same run (a veth pair whose container end is born in the sandbox,
// host end on the bridge), interleaved one for one so load hits both alike. Driver level, no
// sandbox-layer configuration. Runs in namespaces made for the bench (lnt-macvlan-bench-*),
// removed at the end.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { median, now, percentile, writeResults } from '../../../../tools/bench.mjs'
import type { Driver } from '@libnetwork/driverapi'
import { bridge, parseBridgeOptions } from '@libnetwork/driver-bridge'
import { IPNet, InterfaceAddress, noopLogger } from '@libnetwork/types'
import { macvlan } from '../dist/index.js'

const sh = promisify(execFile)
const N = Number(process.env.BENCH_N ?? 100)
const prefix = `lnt-macvlan-bench-${randomBytes(3).toString('hex')}`
const host = `${prefix}-host`

async function cleanup(): Promise<void> {
  const { stdout } = await sh('ip', ['-j', 'netns', 'list'])
  for (const n of JSON.parse(stdout.trim() || '[]') as Array<{ name: string }>) {
    if (n.name.startsWith(prefix)) await sh('ip', ['netns', 'del', n.name]).catch(() => undefined)
  }
}

const net = (networkId: string, pool: IPNet, options: unknown) => ({
  networkId,
  name: networkId.slice(0, 8),
  options,
  ipv4: [{ pool, gateway: InterfaceAddress.of(pool.at(1), pool.prefix) }],
  ipv6: [],
  enableIPv6: false,
  internal: false,
  labels: {},
})

/** createEndpoint + join of one endpoint into `sandbox`, in ms. */
async function attach(d: Driver, networkId: string, address: InterfaceAddress, sandbox: string) {
  const endpointId = randomBytes(32).toString('hex')
  const t0 = now()
  await d.createEndpoint({ networkId, endpointId, iface: { address }, options: {} })
  await d.join({ networkId, endpointId, sandboxKey: `/var/run/netns/${sandbox}`, options: {} })
  const ms = now() - t0
  await d.leave({ networkId, endpointId })
  await d.deleteEndpoint({ networkId, endpointId })
  return ms
}

async function main(): Promise<void> {
  await sh('ip', ['netns', 'add', host])
  await sh('ip', ['-n', host, 'link', 'set', 'lo', 'up'])
  await sh('ip', [
    '-n',
    host,
    'link',
    'add',
    'name',
    'lan0',
    'type',
    'veth',
    'peer',
    'name',
    'wire0',
  ])
  await sh('ip', ['-n', host, 'link', 'set', 'lan0', 'up'])
  const sandboxes = Array.from({ length: 2 * N + 2 }, (_, i) => `${prefix}-sb${i}`)
  for (const s of sandboxes) await sh('ip', ['netns', 'add', s])

  const mv = macvlan({ netns: host })({ logger: noopLogger })
  const br = bridge({ iptables: false, ipForward: false }, { netns: host })({ logger: noopLogger })
  await br.restore({ networks: [], endpoints: [] })
  const mvPool = IPNet.parse('192.168.0.0/16')
  const brPool = IPNet.parse('10.61.0.0/16')
  await mv.createNetwork(net('m'.repeat(64), mvPool, mv.parseNetworkOptions({ parent: 'lan0' })))
  await br.createNetwork(net('b'.repeat(64), brPool, parseBridgeOptions({})))
  // the bridge must be in the bench's namespace, never the machine's
  const { stdout } = await sh('ip', ['-n', host, '-br', 'link', 'show', `br-${'b'.repeat(12)}`])
  if (!stdout.includes('br-')) throw new Error('the bridge is not in the bench namespace')

  const macvlanMs: number[] = []
  const bridgeMs: number[] = []
  // one warm-up attach each (first netlink sockets), not counted
  for (let i = -1; i < N; i++) {
    const m = await attach(
      mv,
      'm'.repeat(64),
      InterfaceAddress.of(mvPool.at(i + 10), 16),
      sandboxes[2 * i + 2]!,
    )
    const b = await attach(
      br,
      'b'.repeat(64),
      InterfaceAddress.of(brPool.at(i + 10), 16),
      sandboxes[2 * i + 3]!,
    )
    if (i >= 0) {
      macvlanMs.push(m)
      bridgeMs.push(b)
    }
  }
  await mv.deleteNetwork({ networkId: 'm'.repeat(64) })
  await br.deleteNetwork({ networkId: 'b'.repeat(64) })
  await br.settled?.()
  await mv.stop()
  await br.stop()

  const results = [
    {
      id: 'V1.join',
      name: `macvlan attach (createEndpoint + join, child born in the sandbox), median of ${N}`,
      value: median(macvlanMs),
      unit: 'ms',
    },
    {
      id: 'V1.join.p95',
      name: 'macvlan attach, 95th percentile',
      value: percentile(macvlanMs, 95),
      unit: 'ms',
    },
    {
      id: 'V1.bridge',
      name: `bridge attach (createEndpoint + join, veth end born in the sandbox), same run, median of ${N}`,
      value: median(bridgeMs),
      unit: 'ms',
    },
    {
      id: 'V1.bridge.p95',
      name: 'bridge attach, 95th percentile',
      value: percentile(bridgeMs, 95),
      unit: 'ms',
    },
  ]
  writeResults('driver-macvlan', results)
}

try {
  await main()
} finally {
  await cleanup()
}
