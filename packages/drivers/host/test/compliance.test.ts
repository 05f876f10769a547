// The host driver against the driver compliance suite of @libnetwork/driverapi.
import t from 'tap'
import { runDriverCompliance, sampleRequests } from '@libnetwork/driverapi/testing'
import { noopLogger } from '@libnetwork/types'
import { hostDriver } from '../src/index.js'

runDriverCompliance(t, {
  singleNetwork: true,
  setup: () => ({
    driver: () => hostDriver()({ logger: noopLogger }),
    ...sampleRequests({ name: 'host' }),
    // host-network sandboxes share the host's namespace: no key of their own
    sandbox: () => '/proc/self/ns/net',
  }),
})
