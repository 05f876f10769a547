// Real kernel, as root, in lnt-macvlan-* namespaces removed at teardown: bad input gives typed
// errors and leaves the kernel and the driver as they were. 802.1Q and dummy parents are
// refused with KernelSupportError on a kernel without those link kinds, and checked working
// (made with the network, gone with it) on a kernel that has them.
import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { linkKindSupported } from '@libnetwork/netlink'
import { InterfaceAddress, LibnetworkError } from '@libnetwork/types'
import { KernelSupportError, parseMacvlanOptions } from '../src/index.js'
import { id, lan, linkNames, netReq, sh } from './helpers.js'

t.test('bad networks: typed errors, nothing left, the driver unchanged', async (t) => {
  const l = await lan(t)
  const d = l.driver()
  await sh('ip', '-n', l.host, 'link', 'add', 'name', 'br9', 'type', 'bridge')
  await sh(
    'ip',
    '-n',
    l.host,
    'link',
    'add',
    'name',
    'port9',
    'master',
    'br9',
    'type',
    'veth',
    'peer',
    'name',
    'peer9',
  )
  const before = await linkNames(l.host)
  const nid = id('a')
  const refuse = async (
    options: Record<string, unknown>,
    expect: Record<string, unknown>,
    what: string,
    o: { subnet?: string } = {},
  ) => {
    const err = await d.createNetwork(netReq(nid, options, o)).then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(LibnetworkError.isInstance(err), `${what}: a typed error`)
    t.match(err, expect, what)
    t.same(await linkNames(l.host), before, `${what}: no link left`)
    await t.rejects(d.endpointOperInfo({ networkId: nid, endpointId: id('1') }), {
      name: 'NetworkNotFoundError',
    })
  }
  await refuse(
    { parent: 'nope0' },
    { name: 'NotFoundError', code: 'macvlan-parent-not-found' },
    'unknown parent',
  )
  await refuse(
    { parent: 'nope0.10' },
    { code: /macvlan-(parent-not-found|kernel-unsupported)/ },
    'VLAN of an unknown link',
  )
  await refuse(
    { parent: 'lo' },
    { name: 'BadRequestError', code: 'macvlan-parent-invalid' },
    'loopback parent',
  )
  await refuse(
    { parent: 'port9' },
    { name: 'ConflictError', code: 'macvlan-parent-enslaved' },
    'a bridge port as parent',
  )
  await refuse(
    { parent: 'lan0.x' },
    { name: 'InvalidOptionError', code: 'driver-invalid-option' },
    'a malformed VLAN parent',
  )
  await refuse({ parent: 'lan0.4095' }, { name: 'InvalidOptionError' }, 'a VLAN id out of range')

  if (!linkKindSupported('vlan')) {
    await refuse(
      { parent: 'lan0.10' },
      {
        name: 'KernelSupportError',
        code: 'macvlan-kernel-unsupported',
        message: /802\.1Q VLAN.*no vlan link support \(CONFIG_VLAN_8021Q/,
      },
      'a VLAN parent on a kernel without 802.1Q',
    )
  } else {
    await d.createNetwork(netReq(nid, { parent: 'lan0.10' }))
    t.ok((await linkNames(l.host)).includes('lan0.10'), 'the VLAN sub-interface is made')
    await d.deleteNetwork({ networkId: nid })
    t.same(await linkNames(l.host), before, 'and goes with the network')
  }
  if (!linkKindSupported('dummy')) {
    await refuse(
      {},
      {
        name: 'KernelSupportError',
        code: 'macvlan-kernel-unsupported',
        message: /without a parent.*no dummy link support \(CONFIG_DUMMY/,
      },
      'no parent on a kernel without dummy links',
    )
  } else {
    await d.createNetwork(netReq(nid, {}))
    t.ok((await linkNames(l.host)).includes(`dm-${'a'.repeat(12)}`), 'the dummy parent is made')
    await d.deleteNetwork({ networkId: nid })
    t.same(await linkNames(l.host), before, 'and goes with the network')
  }

  // overlap with a network on the same parent; the first one stays as it was
  await d.createNetwork(netReq(id('b'), { parent: 'lan0' }, { subnet: '10.1.0.0/16' }))
  await refuse(
    { parent: 'lan0' },
    { name: 'ConflictError', code: 'macvlan-subnet-overlap' },
    'overlapping subnet on the same parent',
    { subnet: '10.1.2.0/24' },
  )
  await refuse(
    { parent: 'lan0', macvlan_mode: 'passthru' },
    { name: 'ConflictError', code: 'macvlan-parent-in-use' },
    'passthru on a shared parent',
    { subnet: '10.2.0.0/24' },
  )
  await t.rejects(d.createNetwork(netReq(id('b'), { parent: 'lan0' })), {
    name: 'AlreadyExistsError',
  })
  // a valid network under the refused id works
  await d.createNetwork(netReq(nid, { parent: 'lan0' }, { subnet: '10.2.0.0/24' }))
  t.match(await d.endpointOperInfo({ networkId: nid, endpointId: 'x' }).catch((e: unknown) => e), {
    name: 'EndpointNotFoundError',
  })
})

t.test('bad endpoints and joins: typed errors, state unchanged', async (t) => {
  const l = await lan(t)
  const d = l.driver()
  const nid = id('c')
  await d.createNetwork(netReq(nid, { parent: 'lan0' }))
  const ep = (endpointId: string, address?: string) =>
    d.createEndpoint({
      networkId: nid,
      endpointId,
      iface: address ? { address: InterfaceAddress.parse(address) } : {},
      options: {},
    })
  await t.rejects(ep(id('1')), { name: 'BadRequestError', code: 'macvlan-no-address' })
  await t.rejects(ep(id('1'), '10.0.0.5/24'), {
    name: 'BadRequestError',
    code: 'macvlan-address-outside-subnet',
  })
  await t.rejects(d.endpointOperInfo({ networkId: nid, endpointId: id('1') }), {
    name: 'EndpointNotFoundError',
  })
  await ep(id('1'), '192.168.77.60/24')
  await t.rejects(ep(id('1'), '192.168.77.61/24'), { name: 'AlreadyExistsError' })
  const err = await d
    .join({
      networkId: nid,
      endpointId: id('1'),
      sandboxKey: `/var/run/netns/${l.host}-none`,
      options: {},
    })
    .catch((e: unknown) => e)
  t.ok(
    LibnetworkError.isInstance(err) && err.category === 'not-found',
    'a missing sandbox: not found',
  )
  t.match(await d.endpointOperInfo({ networkId: nid, endpointId: id('1') }), { joined: false })
  const sb = l.container('c1')
  const res = await d.join({
    networkId: nid,
    endpointId: id('1'),
    sandboxKey: sb.info().path,
    options: {},
  })
  t.ok(
    (await linkNames(sb.key)).includes(res.interfaces[0]!.srcName),
    'the child is in the sandbox',
  )
  await t.rejects(
    d.join({ networkId: nid, endpointId: id('1'), sandboxKey: sb.info().path, options: {} }),
    { name: 'AlreadyExistsError' },
  )
  // a join the sandbox layer never finished: leave removes the child it left behind
  await d.leave({ networkId: nid, endpointId: id('1') })
  t.notOk((await linkNames(sb.key)).includes(res.interfaces[0]!.srcName), 'leave removed it')
  await t.rejects(d.deleteNetwork({ networkId: nid }), { name: 'DriverForbiddenError' })
  await d.deleteEndpoint({ networkId: nid, endpointId: id('1') })
  await d.deleteNetwork({ networkId: nid })
  await t.rejects(d.deleteNetwork({ networkId: nid }), { name: 'NetworkNotFoundError' })
})

t.test('options: typed, upstream names accepted, unknown ones refused', (t) => {
  t.same(parseMacvlanOptions({ parent: 'eth0', macvlan_mode: 'vepa' }), {
    parent: 'eth0',
    mode: 'vepa',
  })
  t.same(parseMacvlanOptions({ 'com.docker.network.driver.macvlan.parent': 'eth0.10' }), {
    parent: 'eth0.10',
    mode: 'bridge',
  })
  t.same(parseMacvlanOptions({ mode: 'passthru', parent: '' }), { mode: 'passthru' })
  t.same(parseMacvlanOptions(undefined), { mode: 'bridge' })
  for (const bad of [
    { macvlan_mode: 'source' },
    { parent: 'x'.repeat(16) },
    { parent: 'a b' },
    { parent: 7 },
    { mtu: 1500 },
    'parent=eth0',
    [],
  ])
    t.throws(
      () => parseMacvlanOptions(bad),
      { name: 'InvalidOptionError', code: 'driver-invalid-option' },
      JSON.stringify(bad),
    )
  t.ok(KernelSupportError.isInstance(new KernelSupportError('vlan', 'x')))
  t.end()
})

t.test('leave after the sandbox is gone, or its file is no namespace any more', async (t) => {
  const l = await lan(t)
  const d = l.driver()
  const nid = id('d')
  const req = netReq(nid, { parent: 'lan0' })
  const stale = join(mkdtempSync(join(tmpdir(), 'lnt-macvlan-')), 'stale')
  writeFileSync(stale, '')
  t.teardown(() => rmSync(dirname(stale), { recursive: true, force: true }))
  const iface = { address: InterfaceAddress.parse('192.168.77.70/24') }
  await d.restore({
    networks: [req],
    endpoints: [
      { networkId: nid, endpointId: id('1'), iface, options: {}, sandboxKey: stale },
      { networkId: nid, endpointId: id('2'), iface, options: {}, sandboxKey: `${stale}-gone` },
    ],
  })
  await d.leave({ networkId: nid, endpointId: id('1') })
  await d.leave({ networkId: nid, endpointId: id('2') })
  t.match(await d.endpointOperInfo({ networkId: nid, endpointId: id('1') }), { joined: false })
  t.match(await d.endpointOperInfo({ networkId: nid, endpointId: id('2') }), { joined: false })
})
