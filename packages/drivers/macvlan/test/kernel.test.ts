// Real kernel, as root: a host namespace whose LAN (lan0) is a veth pair to an "outside"
// namespace holding the router (ping, TCP). All namespaces are lnt-macvlan-*, removed at
// teardown even on failure. Nothing touches the machine's own namespace.
import t from 'tap'
import { InterfaceAddress, NotFoundError } from '@libnetwork/types'
import {
  ROUTER,
  ROUTER6,
  attach,
  childMacs,
  defaultRoutes,
  id,
  lan,
  linkNames,
  links,
  netReq,
  pings,
  tcpFrom,
} from './helpers.js'

t.test('bridge mode: two containers reach each other and the router', async (t) => {
  const l = await lan(t, { mtu: 1400 })
  const d = l.driver()
  const before = await linkNames(l.host)
  const nid = id('a')
  await d.createNetwork(netReq(nid, { parent: 'lan0' }, { v6: true }))
  const c1 = l.container('c1')
  const c2 = l.container('c2')
  const j1 = await attach(d, c1, nid, id('1'), '192.168.77.10/24', 'fd77::10/64')
  await attach(d, c2, nid, id('2'), '192.168.77.11/24', 'fd77::11/64')
  t.equal(j1.gateway?.toString(), ROUTER.toString(), 'the gateway is the LAN router')
  t.equal(j1.gatewayIPv6?.toString(), ROUTER6.toString())
  t.same(j1.interfaces, [{ srcName: `mv${'1'.repeat(12)}`, dstPrefix: 'eth', inSandbox: true }])
  t.equal(j1.disableGatewayService, false)

  const eth0 = (await links(c1.key)).find((l) => l.ifname === 'eth0')
  t.equal(eth0?.linkinfo?.info_kind, 'macvlan', 'eth0 is a macvlan child')
  t.equal(eth0?.linkinfo?.info_data?.mode, 'bridge')
  t.equal(eth0?.mtu, 1400, 'MTU from the parent')
  t.equal(eth0?.address, '02:42:c0:a8:4d:0a', 'MAC from the IPv4 address')
  t.same(await linkNames(l.host), before, 'nothing new in the host namespace')
  t.same(
    await childMacs(l.host, 'lan0'),
    ['02:42:c0:a8:4d:0a', '02:42:c0:a8:4d:0b'],
    'the parent carries both children',
  )
  t.match((await defaultRoutes(c1.key))[0], /^default via 192\.168\.77\.1 dev eth0/)

  t.ok(await pings(c1.key, ROUTER), 'c1 pings the router')
  t.ok(await pings(c1.key, '192.168.77.11'), 'c1 pings c2')
  t.ok(await pings(c2.key, '192.168.77.10'), 'c2 pings c1')
  t.ok(await pings(c2.key, 'fd77::10'), 'c2 pings c1 over IPv6')
  t.ok(await pings(c1.key, ROUTER6), 'c1 pings the router over IPv6')
  t.equal(await tcpFrom(c1.key), 'router 192.168.77.10', 'TCP to the router from c1')
  t.equal(await tcpFrom(c2.key), 'router 192.168.77.11', 'TCP to the router from c2')

  // Everything away: leave (the sandbox layer retires the child), delete, destroy.
  for (const [sb, e] of [
    [c1, id('1')],
    [c2, id('2')],
  ] as const) {
    await sb.retireInterface('eth0')
    await d.leave({ networkId: nid, endpointId: e })
    await d.deleteEndpoint({ networkId: nid, endpointId: e })
    sb.destroy()
  }
  await d.deleteNetwork({ networkId: nid })
  t.same(await childMacs(l.host, 'lan0'), [], 'no child left on the parent')
  t.same(await linkNames(l.host), before, 'the host namespace is as it was')
})

for (const mode of ['private', 'vepa'] as const) {
  // vepa sends everything to the LAN switch; the outside end (a veth) sends nothing back
  // out of the port it came in on, so like private mode the children do not meet
  t.test(`${mode} mode: the router yes, each other no`, async (t) => {
    const l = await lan(t)
    const d = l.driver()
    const nid = id('b')
    await d.createNetwork(netReq(nid, { parent: 'lan0', macvlan_mode: mode }))
    const c1 = l.container('c1')
    const c2 = l.container('c2')
    await attach(d, c1, nid, id('1'), '192.168.77.20/24')
    await attach(d, c2, nid, id('2'), '192.168.77.21/24')
    t.equal((await links(c1.key)).find((x) => x.ifname === 'eth0')?.linkinfo?.info_data?.mode, mode)
    t.ok(await pings(c1.key, ROUTER), 'c1 pings the router')
    t.ok(await pings(c2.key, ROUTER), 'c2 pings the router')
    t.equal(await tcpFrom(c2.key), 'router 192.168.77.21')
    t.notOk(await pings(c1.key, '192.168.77.21', 2), 'c1 does not reach c2')
    t.notOk(await pings(c2.key, '192.168.77.20', 2), 'c2 does not reach c1')
  })
}

t.test("passthru: one container only, and the parent is the network's alone", async (t) => {
  const l = await lan(t)
  const d = l.driver()
  const nid = id('c')
  await d.createNetwork(netReq(nid, { parent: 'lan0', macvlan_mode: 'passthru' }))
  const c1 = l.container('c1')
  await attach(d, c1, nid, id('1'), '192.168.77.30/24')
  const eth0 = (await links(c1.key)).find((x) => x.ifname === 'eth0')
  t.equal(eth0?.linkinfo?.info_data?.mode, 'passthru')
  const parentMac = (await links(l.host)).find((x) => x.ifname === 'lan0')?.address
  t.equal(eth0?.address, parentMac, 'the child carries the parent MAC')
  t.ok(await pings(c1.key, ROUTER), 'c1 pings the router')
  t.equal(await tcpFrom(c1.key), 'router 192.168.77.30')
  await t.rejects(
    d.createEndpoint({
      networkId: nid,
      endpointId: id('2'),
      iface: { address: InterfaceAddress.parse('192.168.77.31/24') },
      options: {},
    }),
    { name: 'ConflictError', code: 'macvlan-passthru-in-use' },
    'a second container is refused',
  )
  await t.rejects(
    d.createNetwork(netReq(id('d'), { parent: 'lan0' }, { subnet: '10.9.0.0/24' })),
    { name: 'ConflictError', code: 'macvlan-parent-in-use' },
    'another network on the passthru parent is refused',
  )
  await t.rejects(d.endpointOperInfo({ networkId: nid, endpointId: id('2') }), NotFoundError)
})

t.test('internal: no default route; several networks share a parent', async (t) => {
  const l = await lan(t)
  const d = l.driver()
  await d.createNetwork(netReq(id('e'), { parent: 'lan0' }, { internal: true, v6: true }))
  await d.createNetwork(netReq(id('f'), { parent: 'lan0' }, { subnet: '10.77.0.0/24' }))
  const c1 = l.container('c1')
  const j = await attach(d, c1, id('e'), id('1'), '192.168.77.40/24', 'fd77::40/64')
  t.equal(j.gateway, undefined)
  t.equal(j.gatewayIPv6, undefined)
  t.equal(j.disableGatewayService, true)
  t.same(await defaultRoutes(c1.key), [], 'no default route')
  const c2 = l.container('c2')
  const j2 = await attach(d, c2, id('f'), id('2'), '10.77.0.5/24')
  t.equal(j2.gateway?.toString(), '10.77.0.1', 'no gateway given: the first address')
  t.match((await defaultRoutes(c2.key))[0], /^default via 10\.77\.0\.1 dev eth0/)
  t.ok(await pings(c1.key, ROUTER), 'the internal container still reaches the LAN on-link')
})

t.test('restart: a driver restored from records keeps the network usable', async (t) => {
  const l = await lan(t)
  const d1 = l.driver()
  const nid = id('7')
  const req = netReq(nid, { parent: 'lan0' })
  await d1.createNetwork(req)
  const c1 = l.container('c1')
  const j1 = await attach(d1, c1, nid, id('1'), '192.168.77.50/24')
  await d1.stop()

  const d2 = l.driver()
  const report = await d2.restore({
    networks: [req],
    endpoints: [
      {
        networkId: nid,
        endpointId: id('1'),
        iface: { address: InterfaceAddress.parse('192.168.77.50/24'), mac: '02:42:c0:a8:4d:32' },
        options: {},
        sandboxKey: c1.info().path,
      },
    ],
  })
  t.same(report, { removed: [], recreated: [] })
  t.ok(j1.gateway)
  t.match(await d2.endpointOperInfo({ networkId: nid, endpointId: id('1') }), {
    joined: true,
    parent: 'lan0',
    mode: 'bridge',
  })
  const c2 = l.container('c2')
  await attach(d2, c2, nid, id('2'), '192.168.77.51/24')
  t.ok(await pings(c2.key, '192.168.77.50'), 'a new container reaches the old one')
  t.equal(await tcpFrom(c1.key), 'router 192.168.77.50', 'the old one still reaches the router')
  await t.rejects(d2.deleteNetwork({ networkId: nid }), { name: 'DriverForbiddenError' })
})
