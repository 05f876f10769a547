// The compliance suites of the seams issue against the remote driver and the remote IPAM, each
// backed by a plugin written with @libnetwork/plugin-server on a unix socket in a temp dir: the
// contracts' promises (errors and their categories included) must survive the round trip.
import t, { type Test } from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runDriverCompliance, sampleRequests } from '@libnetwork/driverapi/testing'
import { DefaultIpam, type IpamDriver } from '@libnetwork/ipam'
import { runIpamCompliance } from '@libnetwork/ipam/testing'
import { pluginServer, type NetworkDriverHandlers } from '@libnetwork/plugin-server'
import { IPNet, NotFoundError, noopLogger } from '@libnetwork/types'
import {
  PluginClient,
  fetchCapability,
  fetchIpamCapabilities,
  remoteDriver,
  remoteIpam,
} from '../src/index.js'
import { memoryNetworkPlugin } from './helpers.js'
import { ipamHandlers } from './ipam-plugin.js'

/** A plugin on a fresh socket, and a client of it; `close` undoes both. */
async function plugin(opts: Parameters<typeof pluginServer>[0]) {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-remote-'))
  const socketPath = join(dir, 'p.sock')
  const server = pluginServer(opts)
  await server.listen({ socketPath })
  const client = new PluginClient({ name: 'p', protocol: 'unix', socketPath, source: socketPath })
  return {
    client,
    async close() {
      client.close()
      await server.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

t.test('driver compliance: the remote driver over an in-memory plugin', async (t: Test) => {
  runDriverCompliance(t, {
    async setup() {
      const mem = memoryNetworkPlugin()
      const exists = (nid: string, eid: string) => {
        if (!mem.networks.get(nid)?.has(eid)) {
          throw new NotFoundError('driver-endpoint-not-found', `endpoint ${eid} not found`)
        }
      }
      const handlers: NetworkDriverHandlers = {
        ...mem.handlers,
        programExternalConnectivity: (req) => exists(req.NetworkID, req.EndpointID),
        revokeExternalConnectivity: (req) => exists(req.NetworkID, req.EndpointID),
      }
      const p = await plugin({ network: handlers })
      const capability = await fetchCapability(p.client)
      const pool = (n: number) => IPNet.parse(`10.${60 + n}.0.0/24`)
      return {
        driver: () => remoteDriver(p.client, capability)({ logger: noopLogger }),
        ...sampleRequests({ name: 'remote', pool }),
        sandbox: () => '/var/run/netns/remote-sandbox',
        cleanup: () => p.close(),
      }
    },
    // Plugin options are free-form strings: only values that are not strings are refused.
    badOptions: [{ nested: { a: 1 } }, { list: ['x'] }],
  })
})

t.test('IPAM compliance: the remote IPAM over the default IPAM served as a plugin', async (t) => {
  const open = new Map<IpamDriver, () => Promise<void>>()
  runIpamCompliance(
    { test: (name, fn) => t.test(name, fn) },
    {
      async make() {
        const p = await plugin({ ipam: ipamHandlers(new DefaultIpam()) })
        const d = remoteIpam(
          p.client,
          await fetchIpamCapabilities(p.client),
        )({
          logger: noopLogger,
        })
        open.set(d, () => p.close())
        return d
      },
      cleanup: async (d) => {
        await open.get(d)?.()
        open.delete(d)
      },
    },
  )
})
