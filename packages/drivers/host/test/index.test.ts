// What is particular to the host driver; the contract itself is checked by the driver
// compliance suite (compliance.test.ts).
import t from 'tap'
import { noopLogger } from '@libnetwork/types'
import { hostDriver } from '../src/index.js'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), ['hostDriver'])
})

t.test('type and capability: local, no IPAM, shares the host network', async (t) => {
  const d = hostDriver()({ logger: noopLogger })
  t.equal(d.type, 'host')
  t.same(d.capability, {
    dataScope: 'local',
    connectivityScope: 'local',
    needsIpam: false,
    sharesHostNetwork: true,
  })
  t.throws(() => d.parseNetworkOptions({ mtu: 1500 }), {
    name: 'InvalidOptionError',
    message: /host driver takes no options/,
  })
})
