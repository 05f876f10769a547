// The bridge driver against the driver compliance suite, on a fake kernel and fake iptables
// (no root needed). compliance-kernel.test.ts runs the same suite on the real kernel.
import t from 'tap'
import { runDriverCompliance } from '@libnetwork/driverapi/testing'
import { fakeHost } from './fake-host.js'

runDriverCompliance(t, {
  setup: () => fakeHost(),
  portBindings: [
    { protocol: 'tcp', port: 80, hostPort: 8080 },
    { protocol: 'udp', port: 53 },
  ],
  badOptions: [{ 'no-such-option': 'x' }, { mtu: 'big' }, { bridgeName: 'a name with spaces' }],
})
