// Real kernel: runs as root inside namespaces this test creates (lnt-bridge-*), removed at
// teardown even on failure. Nothing touches the machine's own namespace.
import t from 'tap'
import { IP, InterfaceAddress, LibnetworkError, noopLogger } from '@libnetwork/types'
import { bridge, ipKernel, netlinkKernel } from '../src/index.js'
import { freshNs, id, netReq, sh } from './helpers.js'

async function state(ns: string) {
  const links = JSON.parse(await sh('ip', '-n', ns, '-j', 'link', 'show')) as Array<{
    ifname: string
  }>
  const ipt = (await sh('ip', 'netns', 'exec', ns, 'iptables-save'))
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
  return { links: links.map((l) => l.ifname).sort(), ipt }
}

t.test('network and endpoint life cycle in the kernel, undone completely', async (t) => {
  const ns = await freshNs(t)
  const d = bridge({}, { netns: ns })({ logger: noopLogger })
  t.teardown(() => d.stop())
  await d.restore({ networks: [], endpoints: [] })
  const empty = await state(ns)
  await d.createNetwork(netReq(id('a'), '10.10.0.0/24', { options: { mtu: 1400 } }))
  const br = `br-${'a'.repeat(12)}`
  const withNet = await state(ns)
  t.ok(withNet.links.includes(br))
  t.match(await sh('ip', '-n', ns, 'addr', 'show', br), /inet 10\.10\.0\.1\/24/)
  t.match(await sh('ip', '-n', ns, 'link', 'show', br), /mtu 1400/)
  t.ok(
    withNet.ipt.some((l) => l.includes(`-s 10.10.0.0/24 ! -o ${br} -j MASQUERADE`)),
    'masquerade rule',
  )
  t.ok(
    withNet.ipt.some((l) => l.includes(`-i ${br} -o ${br} -j ACCEPT`)),
    'ICC accept rule',
  )

  const eid = id('b')
  const { iface } = await d.createEndpoint({
    networkId: id('a'),
    endpointId: eid,
    iface: { address: InterfaceAddress.parse('10.10.0.2/24') },
    options: { portBindings: [{ protocol: 'tcp', port: 80, hostPort: 8080 }] },
  })
  t.equal(iface.mac, '02:42:0a:0a:00:02')
  const links = (await state(ns)).links
  t.notOk(links.includes('vethbbbbbbb'), 'no veth before join')
  const sbx = await freshNs(t, `${ns}-sb`)
  const join = await d.join({
    networkId: id('a'),
    endpointId: eid,
    sandboxKey: `/run/netns/${sbx}`,
    options: {},
  })
  t.same(join.interfaces, [{ srcName: 'vcbbbbbbb', dstPrefix: 'eth', inSandbox: true }])
  t.ok((await state(ns)).links.includes('vethbbbbbbb'), 'host end in the host namespace')
  t.match(await sh('ip', '-n', ns, 'link', 'show', 'vethbbbbbbb'), new RegExp(`master ${br}`))
  t.match(
    await sh('ip', '-n', sbx, 'link', 'show', 'vcbbbbbbb'),
    /02:42:0a:0a:00:02/,
    'container end in the sandbox, with its MAC',
  )
  t.equal(join.gateway?.toString(), '10.10.0.1')
  const ports = await d.programExternalConnectivity({
    networkId: id('a'),
    endpointId: eid,
    options: { portBindings: [{ protocol: 'tcp', port: 80, hostPort: 8080 }] },
  })
  t.same(
    ports.map((p) => `${p.hostIP.toString()}:${p.hostPort}->${p.containerIP.toString()}:${p.port}`),
    ['0.0.0.0:8080->10.10.0.2:80'],
  )
  t.ok(
    (await state(ns)).ipt.some((l) =>
      l.includes('--dport 8080 -j DNAT --to-destination 10.10.0.2:80'),
    ),
    'DNAT rule',
  )
  await t.rejects(
    d
      .programExternalConnectivity({
        networkId: id('a'),
        endpointId: eid,
        options: { portBindings: [] },
      })
      .then(async () => {
        // a second endpoint asking for the same host port conflicts
        await d.createEndpoint({
          networkId: id('a'),
          endpointId: id('c'),
          iface: { address: InterfaceAddress.parse('10.10.0.3/24') },
          options: {},
        })
        return d.programExternalConnectivity({
          networkId: id('a'),
          endpointId: id('c'),
          options: { portBindings: [{ protocol: 'tcp', port: 81, hostPort: 8080 }] },
        })
      }),
    { name: 'ConflictError' },
  )
  t.same(
    (await d.endpointOperInfo({ networkId: id('a'), endpointId: id('c') })).portBindings,
    [],
    'failed binding left nothing',
  )
  await d.deleteEndpoint({ networkId: id('a'), endpointId: id('c') })
  await d.revokeExternalConnectivity({ networkId: id('a'), endpointId: eid })
  await d.leave({ networkId: id('a'), endpointId: eid })
  await t.rejects(d.deleteNetwork({ networkId: id('a') }), { name: 'DriverForbiddenError' })
  await d.deleteEndpoint({ networkId: id('a'), endpointId: eid })
  t.same(await state(ns), withNet, 'endpoint gone without a trace')
  await d.deleteNetwork({ networkId: id('a') })
  // The rules and the bridge go in the background; settled() waits for them.
  await d.settled!()
  t.same(await state(ns), empty, 'network gone without a trace')
})

t.test('delete a network and make one with the same bridge and subnet at once', async (t) => {
  const ns = await freshNs(t)
  const d = bridge({}, { netns: ns })({ logger: noopLogger })
  t.teardown(() => d.stop())
  await d.restore({ networks: [], endpoints: [] })
  const empty = await state(ns)
  await d.createNetwork(netReq(id('a'), '10.14.0.0/24', { options: { bridgeName: 'brsame' } }))
  const withNet = await state(ns)
  const alias = async () =>
    (
      JSON.parse(await sh('ip', '-n', ns, '-j', 'link', 'show', 'brsame')) as { ifalias?: string }[]
    )[0]?.ifalias
  t.match(await alias(), 'a'.repeat(64), "the bridge is the first network's")
  await d.deleteNetwork({ networkId: id('a') })
  // No waiting here: the second network must not reuse the dying bridge, nor lose its rules
  // to the first one's removal.
  await d.createNetwork(netReq(id('b'), '10.14.0.0/24', { options: { bridgeName: 'brsame' } }))
  await d.settled!()
  t.same(await state(ns), withNet, 'the same bridge and rules as the first had')
  t.match(await alias(), 'b'.repeat(64), 'a new bridge, made for the second network')
  await d.deleteNetwork({ networkId: id('b') })
  await d.settled!()
  t.same(await state(ns), empty, 'both gone without a trace')
})

t.test('bad requests are typed errors and change nothing', async (t) => {
  const ns = await freshNs(t)
  const d = bridge({}, { netns: ns })({ logger: noopLogger })
  t.teardown(() => d.stop())
  await d.restore({ networks: [], endpoints: [] })
  await d.createNetwork(netReq(id('a'), '10.11.0.0/24', { options: { bridgeName: 'brtest' } }))
  const before = await state(ns)
  for (const p of [
    d.createNetwork(netReq(id('a'), '10.12.0.0/24')),
    d.createNetwork(netReq(id('d'), '10.12.0.0/24', { options: { bridgeName: 'brtest' } })),
    d.createEndpoint({ networkId: id('e'), endpointId: id('f'), iface: {}, options: {} }),
    d.join({ networkId: id('a'), endpointId: id('f'), sandboxKey: '/x', options: {} }),
    d.deleteNetwork({ networkId: id('e') }),
  ]) {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    )
    t.ok(LibnetworkError.isInstance(err), String(err))
  }
  // a bridge name that exists as a non-bridge link
  await sh('ip', '-n', ns, 'link', 'add', 'dummy0', 'type', 'veth', 'peer', 'name', 'dummy1')
  const withDummy = await state(ns)
  await t.rejects(
    d.createNetwork(netReq(id('9'), '10.13.0.0/24', { options: { bridgeName: 'dummy0' } })),
    {
      name: 'BadRequestError',
    },
  )
  t.same(await state(ns), withDummy)
  await sh('ip', '-n', ns, 'link', 'del', 'dummy0')
  t.same(await state(ns), before)
})

t.test('restore removes stale links and re-creates lost rules and bridges', async (t) => {
  const ns = await freshNs(t)
  const a = bridge({}, { netns: ns })({ logger: noopLogger })
  t.teardown(() => a.stop())
  await a.restore({ networks: [], endpoints: [] })
  const reqA = netReq(id('a'), '10.20.0.0/24')
  await a.createNetwork(reqA)
  await a.createNetwork(netReq(id('c'), '10.21.0.0/24'))
  const e = {
    networkId: id('a'),
    endpointId: id('b'),
    iface: { address: InterfaceAddress.parse('10.20.0.2/24') },
    options: {},
  }
  await a.createEndpoint(e)
  await a.createEndpoint({ ...e, endpointId: id('d') })
  const sbx = await freshNs(t, `${ns}-sb`)
  await a.join({
    networkId: id('a'),
    endpointId: id('b'),
    sandboxKey: `/run/netns/${sbx}`,
    options: {},
  })
  await a.join({
    networkId: id('a'),
    endpointId: id('d'),
    sandboxKey: `/run/netns/${sbx}`,
    options: {},
  })
  const full = await state(ns)
  // A firewall reload flushes our chains; network c and endpoint d are no longer in the records.
  await sh('ip', 'netns', 'exec', ns, 'iptables', '-t', 'nat', '-F', 'LN-POSTROUTING')
  const b = bridge({}, { netns: ns })({ logger: noopLogger })
  t.teardown(() => b.stop())
  const joinedB = { ...e, sandboxKey: `/run/netns/${sbx}` }
  const report = await b.restore({ networks: [reqA], endpoints: [joinedB] })
  t.same(report.removed.sort(), [`bridge br-${'c'.repeat(12)}`, 'veth vethddddddd'].sort())
  t.ok(
    report.recreated.some((r) => r.startsWith('iptables')),
    'lost rules noticed',
  )
  const after = await state(ns)
  t.notOk(after.links.includes(`br-${'c'.repeat(12)}`))
  t.ok(
    after.ipt.some((l) => l.includes('-s 10.20.0.0/24 ! -o br-aaaaaaaaaaaa -j MASQUERADE')),
    'masquerade back',
  )
  t.notOk(
    after.ipt.some((l) => l.includes('10.21.0.0/24')),
    'stale network rules gone',
  )
  t.ok(full.links.includes('vethbbbbbbb') && after.links.includes('vethbbbbbbb'))
  // the bridge itself vanished (reboot-like): restore brings it back with its address
  await sh('ip', '-n', ns, 'link', 'del', 'br-aaaaaaaaaaaa')
  const c = bridge({}, { netns: ns })({ logger: noopLogger })
  t.teardown(() => c.stop())
  const r2 = await c.restore({ networks: [reqA], endpoints: [joinedB] })
  t.ok(r2.recreated.includes('bridge br-aaaaaaaaaaaa'))
  t.ok(r2.recreated.includes('veth vethbbbbbbb attached'))
  t.match(await sh('ip', '-n', ns, 'link', 'show', 'vethbbbbbbb'), /master br-aaaaaaaaaaaa/)
  t.match(await sh('ip', '-n', ns, 'addr', 'show', 'br-aaaaaaaaaaaa'), /10\.20\.0\.1\/24/)
  t.ok(IP.parse('10.20.0.1'))
})

t.test('both kernels (iproute2 and rtnetlink) build the same objects', async (t) => {
  for (const make of [ipKernel, netlinkKernel]) {
    const ns = await freshNs(t)
    const sbx = await freshNs(t, `${ns}-sb`)
    const k = make({ netns: ns })
    await k.ensureBridge({
      name: 'brk',
      mtu: 1400,
      addresses: [InterfaceAddress.parse('10.30.0.1/24')],
      alias: 'libnetwork:x',
    })
    await k.ensureBridge({
      name: 'brk',
      mtu: 1400,
      addresses: [InterfaceAddress.parse('10.30.0.1/24')],
      alias: 'libnetwork:x',
    })
    await k.createVeth({
      host: 'vethk',
      peer: 'vck',
      peerNetns: `/run/netns/${sbx}`,
      peerMac: '02:42:0a:1e:00:02',
      mtu: 1400,
      master: 'brk',
      alias: 'libnetwork:y',
      hairpin: true,
    })
    const links = await k.links()
    t.same(
      links.filter((l) => l.name !== 'lo').map((l) => ({ ...l })),
      [
        { name: 'brk', kind: 'bridge', master: undefined, alias: 'libnetwork:x' },
        { name: 'vethk', kind: 'veth', master: 'brk', alias: 'libnetwork:y' },
      ],
      make.name,
    )
    t.match(
      await sh('ip', '-n', ns, '-d', 'link', 'show', 'vethk'),
      /hairpin on/,
      `${make.name}: hairpin`,
    )
    t.match(
      await sh('ip', '-n', sbx, 'link', 'show', 'vck'),
      /mtu 1400.*\n.*02:42:0a:1e:00:02/,
      `${make.name}: peer in the sandbox`,
    )
    await k.setSysctl('net.ipv4.ip_forward', '1')
    t.equal(await k.getSysctl('net.ipv4.ip_forward'), '1')
    await k.deleteLink('vethk')
    await k.deleteLink('vethk')
    await t.rejects(k.ensureBridge({ name: 'lo', mtu: 1500, addresses: [], alias: 'x' }), {
      name: 'BadRequestError',
    })
    t.same((await k.links()).map((l) => l.name).sort(), ['brk', 'lo'])
  }
})
