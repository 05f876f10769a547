// The null driver against the driver compliance suite of @libnetwork/driverapi.
import t from 'tap'
import { runDriverCompliance, sampleRequests } from '@libnetwork/driverapi/testing'
import { noopLogger } from '@libnetwork/types'
import { nullDriver } from '../src/index.js'

runDriverCompliance(t, {
  singleNetwork: true,
  setup: () => ({
    driver: () => nullDriver()({ logger: noopLogger }),
    ...sampleRequests({ name: 'none' }),
    sandbox: () => '/run/netns/sandbox',
  }),
})
