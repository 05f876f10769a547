// The bridge driver against the driver compliance suite on the real kernel: runs as root; every
// case gets its own namespaces (lnt-bridge-<hex> for the host, -sb<N> for sandboxes), deleted
// when the case ends, failed or not. Nothing touches the machine's own namespace.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { runDriverCompliance } from '@libnetwork/driverapi/testing'
import { InterfaceAddress, noopLogger } from '@libnetwork/types'
import { bridge } from '../src/index.js'
import { fakeNet } from './fake-host.js'
import { sh } from './helpers.js'

async function addNs(name: string): Promise<void> {
  await sh('ip', 'netns', 'add', name)
  await sh('ip', '-n', name, 'link', 'set', 'lo', 'up')
}

const made = new Set<string>()
// in case a case dies before its cleanup
t.teardown(async () => {
  for (const ns of made) await sh('ip', 'netns', 'del', ns).catch(() => undefined)
})

runDriverCompliance(t, {
  async setup() {
    const ns = `lnt-bridge-${randomBytes(4).toString('hex')}`
    await addNs(ns)
    made.add(ns)
    const mine = [ns]
    return {
      driver: () => bridge({}, { netns: ns })({ logger: noopLogger }),
      network: (n) => fakeNet(50 + n),
      endpoint: (net, n) => ({
        networkId: net.networkId,
        endpointId: `${String.fromCharCode(97 + n)}${n}`.repeat(32),
        iface: { address: InterfaceAddress.of(net.ipv4[0]!.pool.at(2 + n), 24) },
        options: {},
      }),
      async sandbox() {
        const sb = `${ns}-sb${mine.length}`
        await addNs(sb)
        made.add(sb)
        mine.push(sb)
        return `/run/netns/${sb}`
      },
      async cleanup() {
        for (const n of mine.reverse()) {
          await sh('ip', 'netns', 'del', n)
          made.delete(n)
        }
      },
    }
  },
  portBindings: [
    { protocol: 'tcp', port: 80, hostPort: 8080 },
    { protocol: 'udp', port: 53 },
  ],
})
