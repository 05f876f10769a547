// Bad input is refused with typed errors and changes nothing: VNIs in use, bad VNI/MTU options,
// encryption on a kernel without ESP, addresses outside the subnet. Runs as root in
// lnt-overlay-* namespaces.
import t from 'tap'
import { InvalidOptionError } from '@libnetwork/driverapi'
import {
  BadRequestError,
  ConflictError,
  InterfaceAddress,
  NotFoundError,
  NotImplementedError,
} from '@libnetwork/types'
import { EncryptionUnsupportedError, netlinkOverlayKernel } from '../src/index.js'
import { id, netnsList, network, world } from './helpers.js'

t.test('a VNI in use is refused, and nothing changes', async (t) => {
  const w = await world(t, 1)
  const d = w.hosts[0]!.driver
  const a = network(0, { 'com.docker.network.driver.overlay.vxlanid_list': '5000' })
  const b = network(1, { 'com.docker.network.driver.overlay.vxlanid_list': '5000' })
  await d.createNetwork(a)
  await t.rejects(d.createNetwork(b), { name: 'ConflictError', code: 'overlay-vni-in-use' })
  await t.rejects(
    d.endpointOperInfo({ networkId: b.networkId, endpointId: id('1') }),
    NotFoundError,
  )
  // allocateNetwork: the cluster-wide set (here this host's own) refuses it too
  await t.rejects(
    d.allocateNetwork!({ networkId: b.networkId, options: b.options, ipv4: b.ipv4, ipv6: [] }),
    ConflictError,
  )
  await d.deleteNetwork(a)
  // freed at delete (createNetwork reserved it itself): now it can be had again
  await d.createNetwork(b)
  await d.deleteNetwork(b)
})

t.test('invalid VNI and MTU options', async (t) => {
  const w = await world(t, 1)
  const d = w.hosts[0]!.driver
  for (const raw of [
    { 'com.docker.network.driver.overlay.vxlanid_list': '0' },
    { 'com.docker.network.driver.overlay.vxlanid_list': '16777216' },
    { 'com.docker.network.driver.mtu': '20' },
    { 'com.docker.network.driver.mtu': '70000' },
  ])
    t.throws(() => d.parseNetworkOptions(raw), InvalidOptionError, JSON.stringify(raw))
})

t.test('an endpoint without an address or outside the subnet is refused', async (t) => {
  const w = await world(t, 1)
  const d = w.hosts[0]!.driver
  const net = network(0)
  await d.createNetwork(net)
  const req = { networkId: net.networkId, endpointId: id('1'), options: {} }
  await t.rejects(d.createEndpoint({ ...req, iface: {} }), BadRequestError)
  await t.rejects(
    d.createEndpoint({
      ...req,
      iface: { address: InterfaceAddress.parse('10.1.0.2/24') },
    }),
    { code: 'overlay-address-outside-subnet' },
  )
  await t.rejects(d.endpointOperInfo(req), NotFoundError, 'nothing was created')
  await d.deleteNetwork(net)
})

const esp = netlinkOverlayKernel().supportsEsp()
t.test(
  'encrypted on a kernel without ESP: refused, naming the missing support; nothing created',
  esp ? { skip: 'this kernel has IPsec ESP: the refusal cannot happen here' } : {},
  async (t) => {
    const w = await world(t, 1)
    const d = w.hosts[0]!.driver
    const net = network(0, { encrypted: 'true' })
    // this test's namespaces only: other tests on the machine make and remove their own
    const mine = async () => (await netnsList()).filter((n) => n.startsWith(w.tag))
    const before = await mine()
    const err = await d.createNetwork(net).catch((e: unknown) => e)
    t.ok(EncryptionUnsupportedError.isInstance(err))
    t.ok(NotImplementedError.isInstance(err))
    t.match(err, { code: 'overlay-encryption-unsupported', message: /ESP/ })
    await t.rejects(
      d.allocateNetwork!({
        networkId: net.networkId,
        options: net.options,
        ipv4: net.ipv4,
        ipv6: [],
      }),
      { code: 'overlay-encryption-unsupported' },
    )
    await t.rejects(d.deleteNetwork(net), NotFoundError, 'no network was made')
    t.same(await mine(), before)
  },
)
