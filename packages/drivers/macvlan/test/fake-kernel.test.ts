// Unprivileged: the driver's logic on a fake kernel. This is where the 802.1Q and dummy parent
// paths run as on a kernel that has those link kinds (this one has not; the kernel tests check
// that they are refused here), and where kernel failures are injected.
import t from 'tap'
import { InterfaceAddress, noopLogger } from '@libnetwork/types'
import { macvlan } from '../src/index.js'
import { FakeKernel } from './fake-kernel.js'
import { id, netReq } from './helpers.js'

const driver = (k: FakeKernel) => macvlan({ kernel: k })({ logger: noopLogger })

t.test('an 802.1Q parent is made with the network, owned, and goes with it', async (t) => {
  const k = new FakeKernel()
  const d = driver(k)
  await d.createNetwork(netReq(id('a'), { parent: 'lan0.10' }))
  t.match(k.links_.get('lan0.10'), { kind: 'vlan', alias: `libnetwork-macvlan:${id('a')}` })
  await d.createEndpoint({
    networkId: id('a'),
    endpointId: id('1'),
    iface: { address: InterfaceAddress.parse('192.168.77.9/24') },
    options: {},
  })
  const res = await d.join({
    networkId: id('a'),
    endpointId: id('1'),
    sandboxKey: '/run/netns/x',
    options: {},
  })
  t.same(k.children, [
    {
      name: `mv${'1'.repeat(12)}`,
      parent: 'lan0.10',
      mode: 'bridge',
      mtu: 1500,
      mac: '02:42:c0:a8:4d:09',
      netns: '/run/netns/x',
    },
  ])
  t.equal(res.gateway?.toString(), '192.168.77.1')
  // another network on the same sub-interface shares it; it passes on when its maker goes
  await d.createNetwork(netReq(id('b'), { parent: 'lan0.10' }, { subnet: '10.3.0.0/24' }))
  await d.leave({ networkId: id('a'), endpointId: id('1') })
  await d.deleteEndpoint({ networkId: id('a'), endpointId: id('1') })
  await d.deleteNetwork({ networkId: id('a') })
  t.match(
    k.links_.get('lan0.10'),
    { alias: `libnetwork-macvlan:${id('b')}` },
    'kept for the network still on it, now its own',
  )
  await d.deleteNetwork({ networkId: id('b') })
  t.notOk(k.links_.has('lan0.10'), 'the last network on it deletes it')
})

t.test('a sub-interface the user made is used and never deleted', async (t) => {
  const k = new FakeKernel()
  k.add('lan0.11', { kind: 'vlan' })
  const d = driver(k)
  await d.createNetwork(netReq(id('a'), { parent: 'lan0.11' }))
  await d.deleteNetwork({ networkId: id('a') })
  t.ok(k.links_.has('lan0.11'))
  t.same(k.calls, [])
})

t.test('no parent: a dummy one, and the network is internal', async (t) => {
  const k = new FakeKernel()
  const d = driver(k)
  await d.createNetwork(netReq(id('c'), {}))
  t.match(k.links_.get(`dm-${'c'.repeat(12)}`), { kind: 'dummy' })
  await d.createEndpoint({
    networkId: id('c'),
    endpointId: id('1'),
    iface: { address: InterfaceAddress.parse('192.168.77.9/24') },
    options: { portBindings: [{ protocol: 'tcp', port: 80 }] },
  })
  const res = await d.join({
    networkId: id('c'),
    endpointId: id('1'),
    sandboxKey: '/x',
    options: {},
  })
  t.equal(res.gateway, undefined, 'no default route out of a dummy')
  t.equal(res.disableGatewayService, true)
  t.same(
    await d.programExternalConnectivity({ networkId: id('c'), endpointId: id('1'), options: {} }),
    [],
  )
  await d.leave({ networkId: id('c'), endpointId: id('1') })
  await d.deleteEndpoint({ networkId: id('c'), endpointId: id('1') })
  await d.deleteNetwork({ networkId: id('c') })
  t.same([...k.links_.keys()], ['lan0'])
})

t.test('a kernel failure half-way leaves no network behind', async (t) => {
  const k = new FakeKernel()
  const d = driver(k)
  k.fail = 'vlan lan0.20 lan0 20'
  await t.rejects(d.createNetwork(netReq(id('d'), { parent: 'lan0.20' })), { code: 'injected' })
  await t.rejects(d.deleteNetwork({ networkId: id('d') }), { name: 'NetworkNotFoundError' })
  k.fail = undefined
  await d.createNetwork(netReq(id('d'), { parent: 'lan0.20' }))
  await d.createEndpoint({
    networkId: id('d'),
    endpointId: id('1'),
    iface: { address: InterfaceAddress.parse('192.168.77.9/24') },
    options: {},
  })
  k.fail = `macvlan mv${'1'.repeat(12)}`
  await t.rejects(
    d.join({ networkId: id('d'), endpointId: id('1'), sandboxKey: '/x', options: {} }),
    { code: 'injected' },
  )
  t.match(await d.endpointOperInfo({ networkId: id('d'), endpointId: id('1') }), { joined: false })
  t.equal(k.calls.filter((c) => c.startsWith('delete')).length, 0, 'a failed join needs no leave')
})

t.test('kernels without VLAN or dummy links: refused before anything is made', async (t) => {
  const k = new FakeKernel({ vlan: false, dummy: false })
  const d = driver(k)
  await t.rejects(d.createNetwork(netReq(id('e'), { parent: 'lan0.10' })), {
    name: 'KernelSupportError',
    code: 'macvlan-kernel-unsupported',
    details: { linkKind: 'vlan', parent: 'lan0.10' },
  })
  await t.rejects(d.createNetwork(netReq(id('e'), {})), {
    name: 'KernelSupportError',
    details: { linkKind: 'dummy' },
  })
  t.same(k.calls, [], 'the kernel was not touched')
})

t.test('restore: owned parents come back, strays go, records rebuild the rest', async (t) => {
  const k = new FakeKernel()
  k.add('eth9.5', { kind: 'vlan', alias: `libnetwork-macvlan:${id('9')}` })
  k.add('user.7', { kind: 'vlan' })
  const d = driver(k)
  const report = await d.restore({
    networks: [
      netReq(id('f'), { parent: 'lan0.30' }),
      netReq(id('g'), {}, { subnet: '10.4.0.0/24' }),
      netReq(id('h'), { parent: 'gone0' }, { subnet: '10.5.0.0/24' }),
    ],
    endpoints: [
      {
        networkId: id('f'),
        endpointId: id('1'),
        iface: { address: InterfaceAddress.parse('192.168.77.9/24'), mac: '02:42:c0:a8:4d:09' },
        options: {},
        sandboxKey: '/x',
      },
      { networkId: id('z'), endpointId: id('2'), iface: {}, options: {} },
    ],
  })
  t.same(report.recreated.sort(), [`dummy dm-${'g'.repeat(12)}`, 'vlan lan0.30'])
  t.same(report.removed.sort(), [`network ${id('h')}: parent gone0 missing`, 'vlan eth9.5'])
  t.ok(k.links_.has('user.7'), "a link without the driver's alias is not touched")
  t.match(await d.endpointOperInfo({ networkId: id('f'), endpointId: id('1') }), {
    joined: true,
    parent: 'lan0.30',
    mac: '02:42:c0:a8:4d:09',
  })
  await t.rejects(
    d.join({ networkId: id('f'), endpointId: id('1'), sandboxKey: '/y', options: {} }),
    {
      name: 'AlreadyExistsError',
    },
  )
  await t.rejects(
    d.createNetwork(netReq(id('i'), { parent: 'lan0.30' })),
    { name: 'ConflictError', code: 'macvlan-subnet-overlap' },
    'restored networks count for overlap checks',
  )
  await d.leave({ networkId: id('f'), endpointId: id('1') })
  t.ok(k.calls.includes(`delete mv${'1'.repeat(12)} in /x`), 'leave cleans up inside the sandbox')
  await d.stop()
})

t.test('restore: a missing owned parent shared by two networks comes back once', async (t) => {
  const k = new FakeKernel()
  const d = driver(k)
  const report = await d.restore({
    networks: [
      netReq(id('j'), { parent: 'lan0.40' }),
      netReq(id('k'), { parent: 'lan0.40' }, { subnet: '10.6.0.0/24' }),
    ],
    endpoints: [],
  })
  t.same(report, { removed: [], recreated: ['vlan lan0.40'] })
  t.same(
    k.calls.filter((c) => c.startsWith('vlan')),
    ['vlan lan0.40 lan0 40'],
  )
  await d.deleteNetwork({ networkId: id('j') })
  t.match(k.links_.get('lan0.40'), { alias: `libnetwork-macvlan:${id('k')}` }, 'passed on')
  await d.deleteNetwork({ networkId: id('k') })
  t.notOk(k.links_.has('lan0.40'))
})
