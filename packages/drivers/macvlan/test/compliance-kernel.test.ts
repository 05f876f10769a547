// The macvlan driver against the driver compliance suite on the real kernel: runs as root; every
// case gets its own namespaces (lnt-macvlan-<hex>-h for the host with its lan0 parent, -sb<N>
// for sandboxes), deleted when the case ends, failed or not. Nothing touches the machine's own
// namespace.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { runDriverCompliance } from '@libnetwork/driverapi/testing'
import { linkKindSupported } from '@libnetwork/netlink'
import { noopLogger } from '@libnetwork/types'
import { macvlan } from '../src/index.js'
import { complianceEndpoint, complianceNetwork, sh } from './helpers.js'

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
  // parse-options creates a network from `{}`: no parent, which asks for a dummy parent
  ...(linkKindSupported('dummy')
    ? {}
    : {
        skip: {
          'parse-options':
            'options {} mean a dummy parent, and this kernel has no dummy links: the fake-kernel run covers the case, bad-input.test.ts the refusal here',
        },
      }),
  async setup() {
    const ns = `lnt-macvlan-${randomBytes(4).toString('hex')}-h`
    await addNs(ns)
    made.add(ns)
    const mine = [ns]
    await sh('ip', '-n', ns, 'link', 'add', 'name', 'lan0', 'type', 'veth', 'peer', 'name', 'wire0')
    await sh('ip', '-n', ns, 'link', 'set', 'lan0', 'up')
    return {
      driver: () => macvlan({ netns: ns })({ logger: noopLogger }),
      network: complianceNetwork,
      endpoint: complianceEndpoint,
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
})
