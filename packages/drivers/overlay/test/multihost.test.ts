// Two hosts on an underlay, one overlay network, a container on each: they reach each other
// over VXLAN with the peers learned from the (fake, in-memory) cluster table. Runs as root, in
// lnt-overlay-* namespaces only.
import t from 'tap'
import { InterfaceAddress, noopLogger } from '@libnetwork/types'
import { PEER_TABLE, decodePeerRecord, overlay } from '../src/index.js'
import { attach, id, netnsList, network, reaches, sh, world } from './helpers.js'

const fdb = async (ns: string) => sh('ip', 'netns', 'exec', ns, 'bridge', 'fdb', 'show')
const neigh = async (ns: string) => sh('ip', '-n', ns, 'neigh', 'show')

t.test('containers on two hosts reach each other; leave and removal leave nothing', async (t) => {
  const w = await world(t, 2)
  const [a, b] = w.hosts as [(typeof w.hosts)[0], (typeof w.hosts)[0]]
  const net = network(0)
  const data = await a.driver.allocateNetwork!({
    networkId: net.networkId,
    options: net.options,
    ipv4: net.ipv4,
    ipv6: [],
  })
  t.match(data, { 'com.docker.network.driver.overlay.vxlanid_list': /^\d+$/ })
  const vni = Number(data['com.docker.network.driver.overlay.vxlanid_list'])
  t.ok(vni >= 4096, 'allocated from upstream range')
  await a.driver.createNetwork({ ...net, driverData: data })
  await b.driver.createNetwork({ ...net, driverData: data })

  const c1 = await w.container('c1')
  const c2 = await w.container('c2')
  const mac1 = await attach(a.driver, net, id('1'), '10.90.0.2/24', c1)
  const mac2 = await attach(b.driver, net, id('2'), '10.90.0.3/24', c2)
  t.equal(mac1, '02:42:0a:5a:00:02')

  // what each host published, as upstream's PeerRecord
  const rec = w.cluster.tables('x', '0').entries(PEER_TABLE, net.networkId)
  t.same(
    rec.map((e) => [e.key, e.owner, decodePeerRecord(e.value)]).sort(),
    [
      [
        id('1'),
        'node0',
        { endpointIp: '10.90.0.2/24', endpointMac: mac1, tunnelEndpointIp: '192.168.90.1' },
      ],
      [
        id('2'),
        'node1',
        { endpointIp: '10.90.0.3/24', endpointMac: mac2, tunnelEndpointIp: '192.168.90.2' },
      ],
    ].sort(),
  )

  // the network's namespace on host A: bridge + vxlan (learning off, proxy, dstport 4789, local)
  const ovA = (await netnsList()).find((n) => n.startsWith(`${w.tag}-h0-ov`))!
  t.ok(ovA, 'host A has the network namespace')
  const links = JSON.parse(await sh('ip', '-n', ovA, '-d', '-j', 'link', 'show')) as Array<{
    ifname: string
    mtu: number
    linkinfo?: { info_kind: string; info_data?: Record<string, unknown> }
  }>
  const vx = links.find((l) => l.linkinfo?.info_kind === 'vxlan')!
  t.match(vx.linkinfo!.info_data, {
    id: vni,
    port: 4789,
    local: '192.168.90.1',
    learning: false,
    proxy: true,
  })
  t.equal(vx.mtu, 1450, 'underlay 1500 - 50')
  t.match(JSON.parse(await sh('ip', '-n', c1, '-j', 'link', 'show')), [
    {},
    { mtu: 1450, address: mac1 },
  ])

  // static entries for the remote peer
  t.match(await fdb(ovA), new RegExp(`${mac2} dev vx\\S+ dst 192.168.90.2 [^\\n]*self permanent`))
  t.match(await neigh(ovA), new RegExp(`10.90.0.3 dev \\S+ lladdr ${mac2} PERMANENT`))

  t.ok(await reaches(c1, '10.90.0.3'), 'c1 pings c2 over the overlay')
  t.ok(await reaches(c2, '10.90.0.2'), 'c2 pings c1 over the overlay')

  // B leaves: A's entries for it go
  await b.driver.leave({ networkId: net.networkId, endpointId: id('2') })
  await b.driver.deleteEndpoint({ networkId: net.networkId, endpointId: id('2') })
  await a.driver.endpointOperInfo({ networkId: net.networkId, endpointId: id('1') }) // settle the queue
  // (the bridge's own learned entry for the MAC may stay until it ages out: it is not ours)
  t.notMatch(await fdb(ovA), new RegExp(`${mac2} dev vx\\S+ dst`))
  t.notMatch(await neigh(ovA), '10.90.0.3')
  t.notOk(
    (await netnsList()).some((n) => n.startsWith(`${w.tag}-h1-ov`)),
    "B's network namespace is gone",
  )

  // B comes back: A learns it again
  const mac2b = await attach(b.driver, net, id('2'), '10.90.0.3/24', c2)
  t.ok(await reaches(c1, '10.90.0.3'), 'c1 reaches c2 again after it rejoined')
  t.match(await fdb(ovA), mac2b)

  for (const [h, e] of [
    [a, id('1')],
    [b, id('2')],
  ] as const) {
    await h.driver.leave({ networkId: net.networkId, endpointId: e })
    await h.driver.deleteEndpoint({ networkId: net.networkId, endpointId: e })
    await h.driver.deleteNetwork({ networkId: net.networkId })
  }
  await a.driver.freeNetwork!({ networkId: net.networkId, driverData: data })
  t.same(w.cluster.entries.size, 0, 'no peer records left')
  t.same(
    (await netnsList()).filter((n) => n.startsWith(w.tag) && /-h\d-ov/.test(n)),
    [],
    'no network namespace left',
  )
  for (const h of w.hosts) {
    const left = JSON.parse(await sh('ip', '-n', h.ns, '-j', 'link', 'show')) as Array<{
      ifname: string
    }>
    t.same(left.map((l) => l.ifname).sort(), ['eth0', 'lo'], `${h.ns} has no link left`)
  }
})

t.test(
  'a restarted driver keeps a joined network as it is and removes unclaimed ones',
  async (t) => {
    // the etcd-less mode: each host creates the network with the VNI the user named
    const w = await world(t, 2, { shared: false })
    const [a, b] = w.hosts as [(typeof w.hosts)[0], (typeof w.hosts)[0]]
    const net = network(0, { 'com.docker.network.driver.overlay.vxlanid_list': '4500' })
    const other = network(1, { 'com.docker.network.driver.overlay.vxlanid_list': '4501' })
    for (const d of [a.driver, b.driver]) await d.createNetwork(net)
    await a.driver.createNetwork(other)
    const c1 = await w.container('c1')
    const c2 = await w.container('c2')
    const c3 = await w.container('c3')
    const mac1 = await attach(a.driver, net, id('1'), '10.90.0.2/24', c1)
    await attach(b.driver, net, id('2'), '10.90.0.3/24', c2)
    await attach(a.driver, other, id('3'), '10.91.0.2/24', c3)
    t.ok(await reaches(c1, '10.90.0.3'))

    // host A's daemon restarts; its records no longer hold `other` (removed while it was down)
    await a.driver.stop()
    const fresh = overlay(
      {},
      { netns: a.ns, netnsPrefix: `${w.tag}-h0-ov` },
    )({
      logger: noopLogger,
      cluster: w.cluster.tables('node0', a.address),
    })
    w.cluster.members.set('node0', fresh)
    a.driver = fresh
    const report = await fresh.restore({
      networks: [net],
      endpoints: [
        {
          networkId: net.networkId,
          endpointId: id('1'),
          iface: { address: InterfaceAddress.parse('10.90.0.2/24'), mac: mac1 },
          options: {},
          sandboxKey: `/run/netns/${c1}`,
        },
      ],
    })
    t.same(report.recreated, [], "the container's interface lived on")
    t.same(report.removed, [`${w.tag}-h0-ov4501-${other.networkId.slice(0, 12)}`])
    t.ok(await reaches(c1, '10.90.0.3'), 'c1 still reaches c2 after the restart')
    t.match(
      await fdb((await netnsList()).find((n) => n.startsWith(`${w.tag}-h0-ov4500`))!),
      'dst 192.168.90.2',
    )
    await fresh.leave({ networkId: net.networkId, endpointId: id('1') })
    t.notOk((await netnsList()).some((n) => n.startsWith(`${w.tag}-h0-ov`)))
  },
)
