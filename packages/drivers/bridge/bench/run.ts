// B1: what a published port adds to attaching and detaching an endpoint at the driver level
// (create endpoint + join + publish one tcp port on an ephemeral host port; revoke + leave +
// delete), with the userland proxy and without it (kernel DNAT only), against no ports at all.
// Runs in namespaces made for the bench (lnt-bridge-bench-*), removed at the end.
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { median, now, writeResults, type BenchResult } from '../../../../tools/bench.mjs'
import type { Driver, PortBinding } from '@libnetwork/driverapi'
import { IPNet, InterfaceAddress, noopLogger } from '@libnetwork/types'
import { bridge, parseBridgeOptions } from '../dist/index.js'

const sh = promisify(execFile)
const N = Number(process.env.BENCH_N ?? 60)
const prefix = `lnt-bridge-bench-${randomBytes(3).toString('hex')}`
const results: BenchResult[] = []

async function cleanup(): Promise<void> {
  const { stdout } = await sh('ip', ['-j', 'netns', 'list'])
  for (const n of JSON.parse(stdout.trim() || '[]') as Array<{ name: string }>) {
    if (n.name.startsWith(prefix)) await sh('ip', ['netns', 'del', n.name]).catch(() => undefined)
  }
}

async function round(
  mode: 'none' | 'proxy' | 'dnat',
  sandboxes: string[],
): Promise<{ attach: number[]; leave: number[]; detach: number[]; first: number }> {
  const ns = `${prefix}-${mode}`
  await sh('ip', ['netns', 'add', ns])
  await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  const d: Driver = bridge(
    { userlandProxy: mode === 'proxy' },
    { netns: ns },
  )({ logger: noopLogger })
  await d.restore({ networks: [], endpoints: [] })
  const pool = IPNet.parse('10.60.0.0/16')
  const networkId = 'b'.repeat(64)
  await d.createNetwork({
    networkId,
    name: 'bench',
    options: parseBridgeOptions({}),
    ipv4: [{ pool, gateway: InterfaceAddress.of(pool.at(1), 16) }],
    ipv6: [],
    enableIPv6: false,
    internal: false,
    labels: {},
  })
  const bindings: PortBinding[] = mode === 'none' ? [] : [{ protocol: 'tcp', port: 80 }]
  const attach: number[] = []
  const leave: number[] = []
  const detach: number[] = []
  let first = 0
  for (let i = 0; i < sandboxes.length; i++) {
    const endpointId = randomBytes(32).toString('hex')
    const ref = { networkId, endpointId }
    const t0 = now()
    await d.createEndpoint({
      ...ref,
      iface: { address: InterfaceAddress.of(pool.at(i + 2), 16) },
      options: { portBindings: bindings },
    })
    await d.join({ ...ref, sandboxKey: `/run/netns/${sandboxes[i]}`, options: {} })
    if (bindings.length > 0)
      await d.programExternalConnectivity({ ...ref, options: { portBindings: bindings } })
    const t1 = now()
    if (bindings.length > 0) await d.revokeExternalConnectivity(ref)
    await d.leave(ref)
    const tl = now()
    // deleteEndpoint waits for the background removal of the port's rules
    await d.deleteEndpoint(ref)
    const t2 = now()
    // the first publish starts the proxy process: reported apart
    if (i === 0) first = t1 - t0
    else {
      attach.push(t1 - t0)
      leave.push(tl - t1)
      detach.push(t2 - t1)
    }
  }
  await d.deleteNetwork({ networkId })
  await d.stop()
  return { attach, leave, detach, first }
}

async function main(): Promise<void> {
  const sandboxes = Array.from({ length: N }, (_, i) => `${prefix}-sb${i}`)
  for (const s of sandboxes) await sh('ip', ['netns', 'add', s])
  for (const mode of ['none', 'proxy', 'dnat'] as const) {
    const r = await round(mode, sandboxes)
    const what =
      mode === 'none'
        ? 'no port'
        : `one published port, ${mode === 'proxy' ? 'userland proxy' : 'kernel DNAT only'}`
    results.push(
      {
        id: `B1.attach.${mode}`,
        name: `create endpoint + join + publish (${what}), median`,
        value: median(r.attach),
        unit: 'ms',
      },
      {
        id: `B1.leave.${mode}`,
        name: `unpublish + leave (${what}; rules removed in the background), median`,
        value: median(r.leave),
        unit: 'ms',
      },
      {
        id: `B1.detach.${mode}`,
        name: `unpublish + leave + delete endpoint (${what}), median`,
        value: median(r.detach),
        unit: 'ms',
      },
    )
    if (mode === 'proxy')
      results.push({
        id: 'B1.proxy.first',
        name: 'first publish, starting the proxy process',
        value: r.first,
        unit: 'ms',
      })
  }
  writeResults('driver-bridge', results)
  for (const r of results) console.log(`${r.id}\t${r.value.toFixed(2)} ${r.unit}`)
}

try {
  await main()
} finally {
  await cleanup()
}
