// The driver's peer logic on a fake kernel (no root): remote records programmed when the
// network's namespace exists, updated, removed; bad or foreign events ignored; a failed first
// join leaves nothing behind.
import t from 'tap'
import type { Driver, TableEvent } from '@libnetwork/driverapi'
import { InterfaceAddress, noopLogger } from '@libnetwork/types'
import { PEER_TABLE, encodePeerRecord, overlay } from '../src/index.js'
import { FakeKernel } from './fake-kernel.js'
import { FakeCluster, id, network } from './helpers.js'

const rec = (ip: string, mac: string, vtep = '192.168.90.9') =>
  encodePeerRecord({ endpointIp: ip, endpointMac: mac, tunnelEndpointIp: vtep })

const event = (
  networkId: string,
  key: string,
  type: TableEvent['type'],
  value: Uint8Array,
): TableEvent => ({ type, table: PEER_TABLE, networkId, key, value, owner: 'far', local: false })

/** Wait for the driver's queue: any call that goes through it resolves after earlier work. */
const settle = (d: Driver, networkId: string) =>
  d.deleteEndpoint({ networkId, endpointId: 'none' }).catch(() => undefined)

async function setup() {
  const kernel = new FakeKernel()
  const cluster = new FakeCluster()
  const driver = overlay(
    {},
    { kernel },
  )({
    logger: noopLogger,
    cluster: cluster.tables('near', '192.168.90.1'),
  })
  const net = network(0, { 'com.docker.network.driver.overlay.vxlanid_list': '4242' })
  await driver.createNetwork(net)
  const ns = () => [...kernel.ns.values()][0]
  const join = async (n: number, sandboxKey = `/run/netns/c${n}`) => {
    await driver.createEndpoint({
      networkId: net.networkId,
      endpointId: id(String(n)),
      iface: { address: InterfaceAddress.parse(`10.90.0.${n + 1}/24`) },
      options: {},
    })
    return driver.join({
      networkId: net.networkId,
      endpointId: id(String(n)),
      sandboxKey,
      options: {},
    })
  }
  return { kernel, cluster, driver, net, ns, join }
}

t.test('remote peers: before the first join, after it, updated, deleted', async (t) => {
  const { driver, net, ns, join, cluster } = await setup()
  const nid = net.networkId
  // a remote record known to the cluster before this host joins
  cluster.entries.set(`${PEER_TABLE}\0${nid}\0r1`, {
    value: rec('10.90.0.50/24', '02:42:0a:5a:00:32'),
    owner: 'far',
  })
  driver.onTableEvent!(event(nid, 'r2', 'create', rec('10.90.0.51/24', '02:42:0a:5a:00:33')))
  await settle(driver, nid)
  t.equal(ns(), undefined, 'no namespace before a join')
  await join(1)
  t.same([...ns()!.peers.keys()].sort(), ['02:42:0a:5a:00:32', '02:42:0a:5a:00:33'])
  t.equal(ns()!.peers.get('02:42:0a:5a:00:33')!.vtep.toString(), '192.168.90.9')

  // the endpoint behind r2 got a new MAC: the old entries go
  driver.onTableEvent!(event(nid, 'r2', 'update', rec('10.90.0.51/24', '02:42:0a:5a:00:99')))
  await settle(driver, nid)
  t.same([...ns()!.peers.keys()].sort(), ['02:42:0a:5a:00:32', '02:42:0a:5a:00:99'])

  driver.onTableEvent!(event(nid, 'r1', 'delete', rec('10.90.0.50/24', '02:42:0a:5a:00:32')))
  await settle(driver, nid)
  t.same([...ns()!.peers.keys()], ['02:42:0a:5a:00:99'])

  // ignored: a bad record, our own entries, another table, an unknown network
  driver.onTableEvent!(event(nid, 'bad', 'create', Uint8Array.of(0x0a, 0x05)))
  driver.onTableEvent!(event(nid, 'bad2', 'create', rec('not-an-ip', '02:42:0a:5a:00:01')))
  driver.onTableEvent!({
    ...event(nid, 'l', 'create', rec('10.90.0.7/24', '02:42:0a:5a:00:07')),
    local: true,
  })
  driver.onTableEvent!({
    ...event(nid, 'o', 'create', rec('10.90.0.8/24', '02:42:0a:5a:00:08')),
    table: 'endpoint_table',
  })
  driver.onTableEvent!(event(id('z'), 'z', 'create', rec('10.90.0.9/24', '02:42:0a:5a:00:09')))
  await settle(driver, nid)
  t.same([...ns()!.peers.keys()], ['02:42:0a:5a:00:99'])

  // our own endpoint is in the table, with our advertise address
  t.same(
    cluster
      .tables('x', '0')
      .entries(PEER_TABLE, nid)
      .filter((e) => e.owner === 'near')
      .map((e) => [e.key, e.owner]),
    [[id('1'), 'near']],
  )
  t.same([...cluster.groups], [[`near\0${nid}`, 1]], 'the host joined the network group once')
  await driver.leave({ networkId: nid, endpointId: id('1') })
  t.equal(ns(), undefined, 'the last leave removes the namespace')
  t.same(cluster.groups.size, 0, 'and left the group')
  t.same(
    cluster
      .tables('x', '0')
      .entries(PEER_TABLE, nid)
      .map((e) => e.owner),
    ['far'],
    'our record is withdrawn',
  )
})

t.test("this host's endpoint published by another node is not a remote peer", async (t) => {
  // After kill -9 and a restart, this daemon's dead predecessor (another node name) may own
  // the record of one of our endpoints for a while, with our own address as its VTEP.
  const { driver, net, ns, join } = await setup()
  const nid = net.networkId
  await join(1)
  const mine = rec('10.90.0.2/24', '02:42:0a:5a:00:02', '192.168.90.1')
  driver.onTableEvent!(event(nid, id('1'), 'update', mine))
  await settle(driver, nid)
  driver.onTableEvent!(event(nid, 'r1', 'create', rec('10.90.0.50/24', '02:42:0a:5a:00:32')))
  await settle(driver, nid)
  t.same([...ns()!.peers.keys()], ['02:42:0a:5a:00:32'], 'no FDB entry towards ourselves')

  // a remote record that turns into ours (same key, now with our VTEP): its entries go
  driver.onTableEvent!(
    event(nid, 'r1', 'update', rec('10.90.0.50/24', '02:42:0a:5a:00:32', '192.168.90.1')),
  )
  await settle(driver, nid)
  t.same([...ns()!.peers.keys()], [], 'the entries of a record that became ours are gone')

  // a remote record whose key this host publishes again (a local event): its entries go
  driver.onTableEvent!(event(nid, 'r2', 'create', rec('10.90.0.51/24', '02:42:0a:5a:00:33')))
  await settle(driver, nid)
  t.same([...ns()!.peers.keys()], ['02:42:0a:5a:00:33'])
  driver.onTableEvent!({ ...event(nid, 'r2', 'update', mine), local: true })
  await settle(driver, nid)
  t.same([...ns()!.peers.keys()], [], 'taken back by this host: no longer a remote peer')
})

t.test('a failed first join leaves no namespace, and the endpoint can join later', async (t) => {
  const { kernel, driver, net, ns, join } = await setup()
  kernel.failNext.add('createVeth')
  await t.rejects(join(1), /fake createVeth failure/)
  t.equal(ns(), undefined)
  t.match(await driver.endpointOperInfo({ networkId: net.networkId, endpointId: id('1') }), {
    joined: false,
  })
  await driver.join({
    networkId: net.networkId,
    endpointId: id('1'),
    sandboxKey: '/run/netns/c1',
    options: {},
  })
  t.ok(ns()!.links.has(`veth${id('1').slice(0, 11)}`))
})

t.test('MTU: underlay minus 50, or the option', async (t) => {
  const kernel = new FakeKernel()
  kernel.mtu = 9000
  const d = overlay({}, { kernel })({ logger: noopLogger })
  await d.createNetwork(network(0))
  await d.createNetwork(network(1, { 'com.docker.network.driver.mtu': '1300' }))
  const info = async (n: number) => {
    const net = network(n)
    await d.createEndpoint({
      networkId: net.networkId,
      endpointId: id('1'),
      iface: { address: InterfaceAddress.parse(`10.${90 + n}.0.2/24`) },
      options: {},
    })
    return d.endpointOperInfo({ networkId: net.networkId, endpointId: id('1') })
  }
  t.match(await info(0), { mtu: 8950 })
  t.match(await info(1), { mtu: 1300 })
  kernel.mtu = 100
  await t.rejects(d.createNetwork(network(2)), { code: 'overlay-underlay-mtu' })
})

t.test('encrypted is refused with a fake kernel that has no ESP, accepted with one', async (t) => {
  const kernel = new FakeKernel()
  const d = overlay({}, { kernel })({ logger: noopLogger })
  await t.rejects(d.createNetwork(network(0, { encrypted: true })), {
    name: 'EncryptionUnsupportedError',
  })
  kernel.esp = true
  await d.createNetwork(network(0, { encrypted: true }))
})

t.test(
  'two hosts sharing a global store never get one VNI twice; freed ones come back',
  async (t) => {
    const { memoryStore } = await import('@libnetwork/datastore')
    const globalStore = memoryStore()
    const [a, b] = [0, 1].map(() =>
      overlay({}, { kernel: new FakeKernel() })({ logger: noopLogger, globalStore }),
    ) as [Driver, Driver]
    const req = (n: number) => ({
      networkId: id(String(n)),
      options: undefined,
      ipv4: [],
      ipv6: [],
    })
    const got = await Promise.all([a.allocateNetwork!(req(1)), b.allocateNetwork!(req(2))])
    const vnis = got.map((g) => g['com.docker.network.driver.overlay.vxlanid_list'])
    t.not(vnis[0], vnis[1])
    await t.rejects(
      b.allocateNetwork!({ ...req(3), options: { vnis: [Number(vnis[0])], encrypted: false } }),
      { name: 'ConflictError', code: 'overlay-vni-in-use', message: /already used/ },
    )
    // a list with one taken id reserves none of the others
    await t.rejects(
      b.allocateNetwork!({
        ...req(4),
        options: { vnis: [9000, Number(vnis[0])], encrypted: false },
      }),
      { code: 'overlay-vni-in-use' },
    )
    t.same(
      await b.allocateNetwork!({ ...req(4), options: { vnis: [9000], encrypted: false } }),
      { 'com.docker.network.driver.overlay.vxlanid_list': '9000' },
      '9000 stayed free',
    )
    await a.freeNetwork!({ networkId: id('1'), driverData: got[0] })
    t.same(
      await b.allocateNetwork!({
        ...req(3),
        options: { vnis: [Number(vnis[0])], encrypted: false },
      }),
      got[0],
    )
  },
)
