import t from 'tap'
import { IP, IPNet, InterfaceAddress } from '@libnetwork/types'
import { fetchCapability, remoteDriver, type RemoteDriver } from '../src/index.js'
import { clientOf, memoryNetworkPlugin, servePlugin, tempDir } from './helpers.js'

const logger = { debug() {}, info() {}, warn() {}, error() {} }
const pool = IPNet.parse('10.0.0.0/24')

t.test('the whole network life through a plugin, on the wire', async (t) => {
  const dir = tempDir(t)
  const plugin = memoryNetworkPlugin()
  await servePlugin(t, dir, 'mem', { network: plugin.handlers })
  const client = clientOf(t, dir, 'mem')
  const capability = await fetchCapability(client)
  t.same(capability, {
    dataScope: 'local',
    connectivityScope: 'global',
    needsIpam: true,
    sharesHostNetwork: false,
  })
  const d = remoteDriver(client, capability)({ logger }) as RemoteDriver
  t.equal(d.type, 'mem')
  const options = d.parseNetworkOptions({ mode: 'l2', mtu: 1400, flag: true })
  t.same(options, { mode: 'l2', mtu: '1400', flag: 'true' })
  t.throws(() => d.parseNetworkOptions({ deep: {} }), { name: 'InvalidOptionError' })
  t.throws(() => d.parseNetworkOptions('x'), { name: 'InvalidOptionError' })

  await d.createNetwork({
    networkId: 'n1',
    name: 'net1',
    options,
    ipv4: [
      {
        pool,
        gateway: InterfaceAddress.parse('10.0.0.1/24'),
        auxAddresses: { router: IP.parse('10.0.0.254') },
      },
    ],
    ipv6: [{ pool: IPNet.parse('fd00::/64') }],
    enableIPv6: true,
    internal: true,
    labels: {},
  })
  t.same(plugin.calls.at(-1), [
    'CreateNetwork',
    {
      NetworkID: 'n1',
      Options: {
        'com.docker.network.generic': { mode: 'l2', mtu: '1400', flag: 'true' },
        'com.docker.network.enable_ipv6': true,
        'com.docker.network.internal': true,
      },
      IPv4Data: [
        {
          AddressSpace: 'local',
          Pool: '10.0.0.0/24',
          Gateway: '10.0.0.1/24',
          AuxAddresses: { router: '10.0.0.254/24' },
        },
      ],
      IPv6Data: [{ AddressSpace: 'local', Pool: 'fd00::/64' }],
    },
  ])
  await t.rejects(
    d.createNetwork({
      networkId: 'n1',
      name: 'x',
      options: {},
      ipv4: [],
      ipv6: [],
      enableIPv6: false,
      internal: false,
      labels: {},
    }),
    { category: 'conflict', code: 'driver-network-exists' },
  )

  const ep = await d.createEndpoint({
    networkId: 'n1',
    endpointId: 'e1',
    iface: { address: InterfaceAddress.parse('10.0.0.2/24') },
    options: {
      exposedPorts: [{ protocol: 'tcp', port: 80 }],
      portBindings: [{ protocol: 'udp', port: 53, hostPort: 5353 }],
    },
  })
  t.equal(ep.iface.address?.toString(), '10.0.0.2/24')
  t.equal(ep.iface.mac, '02:42:0a:00:00:02', 'the MAC the plugin chose comes back')
  t.same(plugin.calls.at(-1), [
    'CreateEndpoint',
    {
      NetworkID: 'n1',
      EndpointID: 'e1',
      Interface: { Address: '10.0.0.2/24', AddressIPv6: '', MacAddress: '' },
      Options: {
        'com.docker.network.endpoint.exposedports': [{ Proto: 6, Port: 80 }],
        'com.docker.network.portmap': [
          { Proto: 17, IP: '', Port: 53, HostIP: '', HostPort: 5353, HostPortEnd: 5353 },
        ],
      },
    },
  ])
  const info = await d.endpointOperInfo({ networkId: 'n1', endpointId: 'e1' })
  t.match(info, { mac: '02:42:0a:00:00:02', id: 'e1', portBindings: [], exposedPorts: [] })

  const join = await d.join({
    networkId: 'n1',
    endpointId: 'e1',
    sandboxKey: '/var/run/netns/c1',
    options: {},
  })
  t.same(plugin.calls.at(-1), [
    'Join',
    { NetworkID: 'n1', EndpointID: 'e1', SandboxKey: '/var/run/netns/c1', Options: {} },
  ])
  t.same(join.interfaces, [{ srcName: 'vethe1', dstPrefix: 'eth' }])
  t.equal(join.gateway?.toString(), '10.0.0.1')
  t.equal(join.gatewayIPv6, undefined)
  t.equal(join.disableGatewayService, false)
  t.same(
    join.staticRoutes.map((r) => [r.destination.toString(), r.routeType, r.nextHop?.toString()]),
    [
      ['192.168.0.0/16', 'nexthop', '10.0.0.254'],
      ['10.9.0.0/16', 'connected', undefined],
    ],
  )
  // Optional calls the plugin does not serve (404) are no-ops, as upstream.
  t.same(
    await d.programExternalConnectivity({ networkId: 'n1', endpointId: 'e1', options: {} }),
    [],
  )
  await d.revokeExternalConnectivity({ networkId: 'n1', endpointId: 'e1' })
  t.same(await d.allocateNetwork!({ networkId: 'n1', options: {}, ipv4: [], ipv6: [] }), {})
  await d.freeNetwork!({ networkId: 'n1', driverData: {} })

  await d.discoverNew({ address: '192.0.2.10', self: false })
  t.same(plugin.calls.at(-1), [
    'DiscoverNew',
    { DiscoveryType: 1, DiscoveryData: { Address: '192.0.2.10', BindAddress: '', Self: false } },
  ])
  await d.discoverDelete({ address: '192.0.2.10', bindAddress: '192.0.2.1', self: true })
  t.equal(plugin.calls.at(-1)?.[0], 'DiscoverDelete')

  await d.leave({ networkId: 'n1', endpointId: 'e1' })
  await d.deleteEndpoint({ networkId: 'n1', endpointId: 'e1' })
  await t.rejects(d.deleteEndpoint({ networkId: 'n1', endpointId: 'e1' }), {
    category: 'not-found',
    code: 'driver-endpoint-not-found',
  })
  await d.deleteNetwork({ networkId: 'n1' })
  t.equal(plugin.networks.size, 0)
  t.same(await d.restore({ networks: [], endpoints: [] }), { removed: [], recreated: [] })
  await d.stop()
})

t.test('answers the driver cannot use are refused and undone', async (t) => {
  const dir = tempDir(t)
  const plugin = memoryNetworkPlugin()
  const calls: string[] = []
  await servePlugin(t, dir, 'odd', {
    network: {
      ...plugin.handlers,
      getCapabilities: () => ({ Scope: 'galactic' }),
      createEndpoint: async (req, ctx) => {
        await plugin.handlers.createEndpoint(req, ctx)
        return { Interface: { Address: '10.0.0.99/24' } }
      },
      deleteEndpoint: async (req, ctx) => {
        calls.push(`DeleteEndpoint ${req.EndpointID}`)
        await plugin.handlers.deleteEndpoint(req, ctx)
      },
      join: (req) => {
        calls.push(`Join ${req.EndpointID}`)
        return req.EndpointID === 'noprefix'
          ? { InterfaceName: { SrcName: 'veth0', DstPrefix: '' } }
          : { Gateway: 'not-an-ip' }
      },
      leave: (req) => void calls.push(`Leave ${req.EndpointID}`),
    },
  })
  const client = clientOf(t, dir, 'odd')
  await t.rejects(fetchCapability(client), {
    code: 'plugin-bad-response',
    message: /Scope must be "local" or "global"/,
  })
  const d = remoteDriver(client, {
    dataScope: 'local',
    connectivityScope: 'local',
    needsIpam: true,
    sharesHostNetwork: false,
  })({ logger })
  await d.createNetwork({
    networkId: 'n',
    name: 'n',
    options: {},
    ipv4: [{ pool }],
    ipv6: [],
    enableIPv6: false,
    internal: false,
    labels: {},
  })
  await t.rejects(
    d.createEndpoint({
      networkId: 'n',
      endpointId: 'e',
      iface: { address: InterfaceAddress.parse('10.0.0.2/24') },
      options: {},
    }),
    { code: 'plugin-bad-response', message: /changed the address 10.0.0.2\/24 to 10.0.0.99\/24/ },
  )
  t.same(calls, ['DeleteEndpoint e'], 'the endpoint the plugin made was deleted again')
  t.equal(plugin.networks.get('n')?.size, 0)
  calls.length = 0
  await t.rejects(d.join({ networkId: 'n', endpointId: 'x', sandboxKey: '/k', options: {} }), {
    code: 'plugin-bad-response',
    message: /Gateway "not-an-ip"/,
  })
  await t.rejects(
    d.join({ networkId: 'n', endpointId: 'noprefix', sandboxKey: '/k', options: {} }),
    { code: 'plugin-bad-response', message: /DstPrefix is empty/ },
  )
  t.same(calls, ['Join x', 'Leave x', 'Join noprefix', 'Leave noprefix'], 'each join was undone')
})

t.test('capability: ConnectivityScope defaults to Scope', async (t) => {
  const dir = tempDir(t)
  const plugin = memoryNetworkPlugin()
  await servePlugin(t, dir, 'g', {
    network: { ...plugin.handlers, getCapabilities: () => ({ Scope: 'global' }) },
  })
  t.match(await fetchCapability(clientOf(t, dir, 'g')), {
    dataScope: 'global',
    connectivityScope: 'global',
  })
})
