// What is particular to the null driver; the contract itself is checked by the driver
// compliance suite (compliance.test.ts).
import t from 'tap'
import { noopLogger } from '@libnetwork/types'
import { nullDriver, singleNetworkDriver } from '../src/index.js'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), ['nullDriver', 'singleNetworkDriver'])
})

t.test('type and capability: local, no IPAM, its own namespace', async (t) => {
  const d = nullDriver()({ logger: noopLogger })
  t.equal(d.type, 'null')
  t.same(d.capability, {
    dataScope: 'local',
    connectivityScope: 'local',
    needsIpam: false,
    sharesHostNetwork: false,
  })
  t.equal(singleNetworkDriver('x', { sharesHostNetwork: true })({ logger: noopLogger }).type, 'x')
  t.equal(
    singleNetworkDriver('x', { sharesHostNetwork: true })({ logger: noopLogger }).capability
      .sharesHostNetwork,
    true,
  )
})

t.test('join gives no interface and no gateway service; a joined endpoint says so', async (t) => {
  const d = nullDriver()({ logger: noopLogger })
  const net = {
    networkId: 'n1',
    name: 'none',
    options: {},
    ipv4: [],
    ipv6: [],
    enableIPv6: false,
    internal: false,
    labels: {},
  }
  await d.createNetwork(net)
  await d.createEndpoint({ networkId: 'n1', endpointId: 'e1', iface: {}, options: {} })
  const ep = { networkId: 'n1', endpointId: 'e1' }
  t.equal((await d.endpointOperInfo(ep)).joined, false)
  t.same(await d.join({ ...ep, sandboxKey: '/run/netns/x', options: {} }), {
    interfaces: [],
    staticRoutes: [],
    disableGatewayService: true,
  })
  t.equal((await d.endpointOperInfo(ep)).joined, true)
  t.same(await d.programExternalConnectivity({ ...ep, options: {} }), [], 'no ports, ever')
  t.throws(() => d.parseNetworkOptions({ mtu: 1500 }), {
    name: 'InvalidOptionError',
    message: /takes no options/,
  })
})
