// The overlay driver against the driver compliance suite on the real kernel: runs as root; every
// case gets its own namespaces (lnt-overlay-<hex>-h for the host, -sb<N> for sandboxes, -ov…
// for the driver's network namespaces), deleted when the case ends, failed or not.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { runDriverCompliance } from '@libnetwork/driverapi/testing'
import type { CreateNetworkRequest } from '@libnetwork/driverapi'
import { InterfaceAddress, noopLogger } from '@libnetwork/types'
import { overlay } from '../src/index.js'
import { id, netnsList, network, sh } from './helpers.js'

async function addNs(name: string): Promise<void> {
  await sh('ip', 'netns', 'add', name)
  await sh('ip', '-n', name, 'link', 'set', 'lo', 'up')
}

const made = new Set<string>()
const sweep = async (prefix: string) => {
  for (const n of await netnsList())
    if (n.startsWith(prefix)) await sh('ip', 'netns', 'del', n).catch(() => undefined)
}
// in case a case dies before its cleanup
t.teardown(async () => {
  for (const tag of made) await sweep(tag)
})

runDriverCompliance(t, {
  globalHooks: true,
  async setup() {
    const tag = `lnt-overlay-${randomBytes(4).toString('hex')}`
    made.add(tag)
    const ns = `${tag}-h`
    await addNs(ns)
    await sh('ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'wire0')
    await sh('ip', '-n', ns, 'addr', 'add', '192.168.91.1/24', 'dev', 'eth0')
    await sh('ip', '-n', ns, 'link', 'set', 'eth0', 'up')
    let sandboxes = 0
    return {
      driver: () => overlay({}, { netns: ns, netnsPrefix: `${tag}-ov` })({ logger: noopLogger }),
      network: (n: number) => network(n),
      endpoint: (net: CreateNetworkRequest, n: number) => ({
        networkId: net.networkId,
        endpointId: id(String(n + 1)),
        iface: { address: InterfaceAddress.parse(`${net.ipv4[0]!.pool.at(n + 2).toString()}/24`) },
        options: {},
      }),
      async sandbox() {
        const sb = `${tag}-sb${sandboxes++}`
        await addNs(sb)
        return `/run/netns/${sb}`
      },
      async cleanup() {
        await sweep(tag)
        made.delete(tag)
      },
    }
  },
})
