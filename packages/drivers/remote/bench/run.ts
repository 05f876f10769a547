// Benchmark P3.call (issue 18): one round trip to a local plugin over its unix socket, through
// the remote driver's client (kept-alive connection), median of 1,000 after a warm-up. The
// plugin is written with @libnetwork/plugin-server and runs in this process, as a plugin on
// the same host would (same socket, same HTTP exchange). `.cpu` is this process's CPU time
// per call, client and plugin together. Writes bench-results/driver-remote.json.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pluginServer } from '@libnetwork/plugin-server'
import { PluginClient } from '../dist/index.js'
import { median, now, percentile, writeResults } from '../../../../tools/bench.mjs'

const N = 1000
const dir = mkdtempSync(join(tmpdir(), 'bench-remote-'))
const socketPath = join(dir, 'bench.sock')
const server = pluginServer({
  network: {
    createNetwork: () => {},
    deleteNetwork: () => {},
    createEndpoint: () => {},
    deleteEndpoint: () => {},
    join: () => ({ InterfaceName: { SrcName: 'veth0', DstPrefix: 'eth' } }),
    leave: () => {},
  },
})
await server.listen({ socketPath })
const client = new PluginClient({ name: 'bench', protocol: 'unix', socketPath, source: socketPath })
const body = { NetworkID: 'n', EndpointID: 'e', SandboxKey: '/var/run/netns/x', Options: {} }
try {
  await client.activate()
  for (let i = 0; i < 200; i++) await client.call('NetworkDriver.Join', body)
  const times: number[] = []
  const cpu0 = process.cpuUsage()
  for (let i = 0; i < N; i++) {
    const t0 = now()
    await client.call('NetworkDriver.Join', body)
    times.push(now() - t0)
  }
  const cpu = process.cpuUsage(cpu0)
  writeResults('driver-remote', [
    {
      id: 'P3.call',
      name: 'one Join round trip to a local plugin over its unix socket (median of 1,000)',
      value: median(times),
      unit: 'ms',
    },
    {
      id: 'P3.call.p99',
      name: 'the same round trip, 99th percentile',
      value: percentile(times, 99),
      unit: 'ms',
    },
    {
      id: 'P3.call.cpu',
      name: 'CPU time of one round trip, client and plugin together (stays meaningful on a busy machine)',
      value: (cpu.user + cpu.system) / 1000 / N,
      unit: 'ms',
    },
  ])
} finally {
  client.close()
  await server.close()
  rmSync(dir, { recursive: true, force: true })
}
