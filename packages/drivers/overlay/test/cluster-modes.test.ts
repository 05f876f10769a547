// How the driver behaves in a daemon's cluster (fake kernel, no root): without a global store
// the user names the VNI; the network's gossip group is joined at the first join on this host
// and left at the last leave; restore removes only namespaces with this driver's own names.
import t from 'tap'
import { memoryStore } from '@libnetwork/datastore'
import { BadRequestError, InterfaceAddress, NotFoundError, noopLogger } from '@libnetwork/types'
import { overlay } from '../src/index.js'
import { FakeKernel } from './fake-kernel.js'
import { FakeCluster, id, network } from './helpers.js'

const VNI = 'com.docker.network.driver.overlay.vxlanid_list'

t.test('a cluster without a global store: a network needs its VNI from the user', async (t) => {
  const kernel = new FakeKernel()
  const cluster = new FakeCluster()
  const d = overlay(
    {},
    { kernel },
  )({ logger: noopLogger, cluster: cluster.tables('n1', '10.0.0.1') })
  const net = network(0)
  const alloc = { networkId: net.networkId, options: net.options, ipv4: net.ipv4, ipv6: [] }
  const err = await d.allocateNetwork!(alloc).catch((e: unknown) => e)
  t.ok(BadRequestError.isInstance(err))
  t.match(err, { code: 'overlay-vni-required', message: new RegExp(VNI) })
  await t.rejects(d.createNetwork(net), { code: 'overlay-vni-required' })
  await t.rejects(d.deleteNetwork(net), NotFoundError, 'nothing was created')

  // with the VNI named, every host creates the same network
  const named = network(0, { [VNI]: '4300' })
  const data = await d.allocateNetwork!({ ...alloc, options: named.options })
  t.same(data, { [VNI]: '4300' })
  await d.createNetwork({ ...named, driverData: data })
  await d.deleteNetwork(named) // it was made

  await d.stop()
})

t.test('with a global store, or without a cluster, the driver picks the VNI', async (t) => {
  for (const components of [
    {
      logger: noopLogger,
      cluster: new FakeCluster().tables('n1', '10.0.0.1'),
      globalStore: memoryStore(),
    },
    { logger: noopLogger },
  ]) {
    const d = overlay({}, { kernel: new FakeKernel() })(components)
    const net = network(0)
    const data = await d.allocateNetwork!({
      networkId: net.networkId,
      options: net.options,
      ipv4: net.ipv4,
      ipv6: [],
    })
    t.match(data, { [VNI]: /^\d+$/ })
    await d.stop()
  }
})

t.test('a failed group join makes no namespace; the endpoint can join later', async (t) => {
  const kernel = new FakeKernel()
  const cluster = new FakeCluster()
  const tables = cluster.tables('n1', '10.0.0.1')
  let fail = true
  const d = overlay(
    {},
    { kernel },
  )({
    logger: noopLogger,
    cluster: {
      ...tables,
      joinNetwork: async (nid, o) => {
        if (fail) throw new Error('no group today')
        return tables.joinNetwork(nid, o)
      },
    },
  })
  const net = network(0, { [VNI]: '4301' })
  await d.createNetwork(net)
  const ref = { networkId: net.networkId, endpointId: id('1') }
  await d.createEndpoint({
    ...ref,
    iface: { address: InterfaceAddress.parse('10.90.0.2/24') },
    options: {},
  })
  await t.rejects(d.join({ ...ref, sandboxKey: '/run/netns/c1', options: {} }), /no group today/)
  t.equal(kernel.ns.size, 0, 'no namespace')
  t.equal(cluster.groups.size, 0, 'no group')
  fail = false
  await d.join({ ...ref, sandboxKey: '/run/netns/c1', options: {} })
  t.equal(kernel.ns.size, 1)
  t.same([...cluster.groups.values()], [1])
  await d.leave(ref)
  t.equal(cluster.groups.size, 0, 'the last leave leaves the group')
  t.equal(kernel.ns.size, 0)
  await d.stop()
})

t.test('restore removes its own stale namespaces, never another prefix’s', async (t) => {
  const kernel = new FakeKernel()
  for (const ns of ['d1-ov-4096-aaaaaaaaaaaa', 'd1-ov-x-ov-4097-bbbbbbbbbbbb', 'd1-ov-other'])
    kernel.ns.set(ns, { links: new Set(), peers: new Map() })
  const d = overlay({}, { kernel, netnsPrefix: 'd1-ov-' })({ logger: noopLogger })
  const report = await d.restore({ networks: [], endpoints: [] })
  t.same(report.removed, ['d1-ov-4096-aaaaaaaaaaaa'])
  t.same([...kernel.ns.keys()].sort(), ['d1-ov-other', 'd1-ov-x-ov-4097-bbbbbbbbbbbb'])
  await d.stop()
})
