// The host driver against the driver compliance suite of @libnetwork/driverapi.
import t from 'tap'
import { runDriverCompliance } from '@libnetwork/driverapi/testing'
import { noopLogger } from '@libnetwork/types'
import { hostDriver } from '../src/index.js'

runDriverCompliance(t, {
  singleNetwork: true,
  setup: () => ({
    driver: () => hostDriver()({ logger: noopLogger }),
    network: (n) => ({
      networkId: String(n).repeat(64),
      name: `host${n}`,
      options: {},
      ipv4: [],
      ipv6: [],
      enableIPv6: false,
      internal: false,
      labels: {},
    }),
    endpoint: (net, n) => ({
      networkId: net.networkId,
      endpointId: `e${n}`.repeat(32),
      iface: {},
      options: {},
    }),
    // host-network sandboxes share the host's namespace: no key of their own
    sandbox: () => '/proc/self/ns/net',
  }),
})
