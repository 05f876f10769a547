// The macvlan driver against the driver compliance suite of @libnetwork/driverapi on a fake
// kernel (no root needed). compliance-kernel.test.ts runs the same suite on the real kernel.
import t from 'tap'
import { runDriverCompliance } from '@libnetwork/driverapi/testing'
import { noopLogger } from '@libnetwork/types'
import { macvlan } from '../src/index.js'
import { FakeKernel } from './fake-kernel.js'
import { complianceEndpoint, complianceNetwork } from './helpers.js'

runDriverCompliance(t, {
  setup() {
    const kernel = new FakeKernel()
    return {
      driver: () => macvlan({ kernel })({ logger: noopLogger }),
      network: complianceNetwork,
      endpoint: complianceEndpoint,
      sandbox: () => '/run/netns/fake-sandbox',
    }
  },
})
