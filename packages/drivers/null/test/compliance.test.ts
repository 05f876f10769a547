// The null driver against the driver compliance suite of @libnetwork/driverapi.
import t from 'tap'
import { runDriverCompliance } from '@libnetwork/driverapi/testing'
import { noopLogger } from '@libnetwork/types'
import { nullDriver } from '../src/index.js'

runDriverCompliance(t, {
  singleNetwork: true,
  setup: () => ({
    driver: () => nullDriver()({ logger: noopLogger }),
    network: (n) => ({
      networkId: String(n).repeat(64),
      name: `none${n}`,
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
    sandbox: () => '/run/netns/sandbox',
  }),
})
