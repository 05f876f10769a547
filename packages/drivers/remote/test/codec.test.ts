// The translation between our driverapi values and the protocol's JSON (unit level).
import t from 'tap'
import { IP, IPNet, InterfaceAddress } from '@libnetwork/types'
import {
  decodeJoin,
  decodeOperInfo,
  encodeEndpointOptions,
  encodeInterface,
  encodeIpamData,
  mergeInterface,
  ShapeError,
} from '../src/codec.js'

t.test('EndpointOperInfo values: upstream port lists read into ours', async (t) => {
  const info = decodeOperInfo({
    'com.docker.network.portmap': [
      { Proto: 6, IP: '10.0.0.2', Port: 80, HostIP: '', HostPort: 8080, HostPortEnd: 8080 },
      {
        Proto: 17,
        IP: '10.0.0.2',
        Port: 53,
        HostIP: '127.0.0.1',
        HostPort: 5353,
        HostPortEnd: 5353,
      },
      { Proto: 99, IP: '10.0.0.2', Port: 1, HostIP: '', HostPort: 1, HostPortEnd: 1 },
      { Proto: 6, IP: 'nonsense', Port: 1, HostIP: '', HostPort: 1, HostPortEnd: 1 },
    ],
    'com.docker.network.endpoint.exposedports': [{ Proto: 132, Port: 9 }, { Proto: 6 }],
    'com.docker.network.endpoint.macaddress': '02:42:0a:00:00:02',
    custom: { a: 1 },
  })
  t.same(
    info.portBindings.map(
      (p) =>
        `${p.protocol} ${p.hostIP.toString()}:${p.hostPort}->${p.containerIP.toString()}:${p.port}`,
    ),
    ['tcp 0.0.0.0:8080->10.0.0.2:80', 'udp 127.0.0.1:5353->10.0.0.2:53'],
    'unknown protocols and bad addresses are skipped',
  )
  t.same(info.exposedPorts, [{ protocol: 'sctp', port: 9 }])
  t.equal(info.mac, '02:42:0a:00:00:02')
  t.same(info.custom, { a: 1 }, 'other values pass through')
  t.same(decodeOperInfo(undefined), { portBindings: [], exposedPorts: [] })
  t.same(decodeOperInfo([1]), { portBindings: [], exposedPorts: [] })
})

t.test('requests in Go shapes', async (t) => {
  t.same(encodeIpamData({ pool: IPNet.parse('fd00::/64') }, 'global'), {
    AddressSpace: 'global',
    Pool: 'fd00::/64',
  })
  t.same(encodeInterface({}), { Address: '', AddressIPv6: '', MacAddress: '' })
  t.same(encodeEndpointOptions({}), {}, 'no ports: no keys')
  t.same(
    encodeEndpointOptions({
      portBindings: [
        { protocol: 'sctp', port: 7, hostIP: IP.parse('::1'), hostPort: 70, hostPortEnd: 79 },
      ],
    }),
    {
      'com.docker.network.portmap': [
        { Proto: 132, IP: '', Port: 7, HostIP: '::1', HostPort: 70, HostPortEnd: 79 },
      ],
    },
  )
})

t.test('answers that are refused', async (t) => {
  const sent = { address: InterfaceAddress.parse('10.0.0.2/24'), mac: '02:00:00:00:00:01' }
  t.same(mergeInterface(sent, null), sent)
  t.equal(mergeInterface(sent, { MacAddress: '02:00:00:00:00:01' }).mac, '02:00:00:00:00:01')
  t.equal(mergeInterface({}, { AddressIPv6: 'fd00::5/64' }).addressIPv6?.toString(), 'fd00::5/64')
  for (const [answer, why] of [
    ['x', /must be an object/],
    [{ Address: 5 }, /must be a string/],
    [{ Address: 'fd00::1/64' }, /must be IPv4/],
    [{ AddressIPv6: '10.0.0.9/24' }, /must be IPv6/],
    [{ MacAddress: '02:00:00:00:00:02' }, /changed the MAC/],
    [{ MacAddress: 'zz' }, /not valid/],
    [{ Address: '10.0.0.3/24' }, /changed the address/],
  ] as const)
    t.throws(() => mergeInterface(sent, answer), { constructor: ShapeError, message: why })
  for (const [answer, why] of [
    [{ InterfaceName: 'eth0' }, /InterfaceName must be an object/],
    [{ StaticRoutes: {} }, /must be a list/],
    [{ StaticRoutes: [{ Destination: '10.0.0.0/8', RouteType: 2 }] }, /RouteType must be 0 or 1/],
    [{ StaticRoutes: [{ Destination: '10.0.0.0/8', RouteType: 0 }] }, /without NextHop/],
    [{ StaticRoutes: [{ Destination: 'x', RouteType: 1 }] }, /Destination "x" is not valid/],
    [{ GatewayIPv6: 'nope' }, /GatewayIPv6 "nope"/],
  ] as const)
    t.throws(() => decodeJoin(answer as never), { message: why })
  const ok = decodeJoin({ GatewayIPv6: 'fd00::1', DisableGatewayService: true, StaticRoutes: null })
  t.equal(ok.gatewayIPv6?.toString(), 'fd00::1')
  t.equal(ok.disableGatewayService, true)
  t.same(ok.interfaces, [])
})
