// The driver's netfilter and port logic on a fake kernel and fake iptables: no root needed.
// (kernel.test.ts, ports.test.ts and unmap.test.ts check the same against the real kernel.)
import t from 'tap'
import { IPNet, InterfaceAddress, LibnetworkError } from '@libnetwork/types'
import { fakeHost, fakeNet } from './fake-host.js'

const BR = `br-${'1'.repeat(12)}`

/** A network 10.1.0.0/24 on a fresh fake host, its driver restored empty first. */
async function withNetwork(raw: Record<string, unknown> = {}, internal = false) {
  const host = fakeHost()
  const d = host.driver()
  await d.restore({ networks: [], endpoints: [] })
  const net = { ...fakeNet(1, raw), internal }
  const before = host.iptables.dump()
  const batches = host.iptables.restores().length
  await d.createNetwork(net)
  return { host, d, net, before, batches }
}

const ep = (net: { networkId: string }, n: number, portBindings = [] as never[]) => ({
  networkId: net.networkId,
  endpointId: `${String.fromCharCode(97 + n)}`.repeat(64),
  iface: { address: InterfaceAddress.parse(`10.1.0.${2 + n}/24`) },
  options: { portBindings },
})

t.test('a network: bridge, gateway, isolation, ICC, masquerade, in one batch', async (t) => {
  const { host, d, net, before, batches } = await withNetwork()
  t.equal(host.iptables.restores().length, batches + 1, 'one iptables-restore for the network')
  const br = host.kernel.link(BR)!
  t.same([br.kind, br.up, br.addresses, br.mtu], ['bridge', true, ['10.1.0.1/24'], 1500])
  const rules = host.iptables.dump()
  for (const r of [
    `filter/LN-ISOLATION-1: -i ${BR} ! -o ${BR} -j LN-ISOLATION-2`,
    `filter/LN-ISOLATION-2: -o ${BR} -j DROP`,
    `filter/LN-NETWORKS: -i ${BR} -o ${BR} -j ACCEPT`,
    `filter/LN-NETWORKS: -i ${BR} ! -o ${BR} -j ACCEPT`,
    `nat/LN-POSTROUTING: -s 10.1.0.0/24 ! -o ${BR} -j MASQUERADE`,
  ])
    t.ok(rules.includes(r), r)
  t.equal(host.kernel.sysctls.get('net.ipv4.ip_forward'), '1')
  t.equal(
    host.kernel.sysctls.get(`net.ipv4.conf.${BR}.route_localnet`),
    '1',
    'without the proxy, loopback is DNATed into the bridge',
  )
  await d.deleteNetwork(net)
  await d.settled!()
  t.same(host.iptables.dump(), before, 'its rules are gone')
  t.equal(host.kernel.link(BR), undefined, 'its bridge is gone')
})

t.test('ICC off: traffic inside the bridge is dropped', async (t) => {
  const { host } = await withNetwork({ enableICC: false })
  const rules = host.iptables.dump()
  t.ok(rules.includes(`filter/LN-NETWORKS: -i ${BR} -o ${BR} -j DROP`))
  t.notOk(rules.includes(`filter/LN-NETWORKS: -i ${BR} -o ${BR} -j ACCEPT`))
})

t.test('internal: no way in or out, no masquerade, no gateway', async (t) => {
  const { host, d, net } = await withNetwork({}, true)
  const rules = host.iptables.dump()
  t.ok(rules.includes(`filter/LN-ISOLATION-1: -i ${BR} ! -o ${BR} -j DROP`))
  t.ok(rules.includes(`filter/LN-ISOLATION-1: ! -i ${BR} -o ${BR} -j DROP`))
  t.notOk(
    rules.some((r) => r.includes('MASQUERADE') && r.includes(BR)),
    'no masquerade',
  )
  t.notOk(rules.includes(`filter/LN-NETWORKS: -i ${BR} ! -o ${BR} -j ACCEPT`), 'no way out')
  const e = ep(net, 0)
  await d.createEndpoint(e)
  const j = await d.join({ ...e, sandboxKey: '/run/netns/sb' })
  t.equal(j.gateway, undefined)
  t.equal(j.disableGatewayService, true)
  const bindings = [{ protocol: 'tcp', port: 80, hostPort: 8080 }] as never[]
  t.same(await d.programExternalConnectivity({ ...e, options: { portBindings: bindings } }), [])
})

t.test('published ports: DNAT, accept and hairpin rules; hairpin on the veth', async (t) => {
  const { host, d, net } = await withNetwork()
  const bindings = [{ protocol: 'tcp', port: 80, hostPort: 8080 }] as never[]
  const e = ep(net, 0, bindings)
  await d.createEndpoint(e)
  await d.join({ ...e, sandboxKey: '/run/netns/sb' })
  t.equal(host.kernel.link('vethaaaaaaa')!.master, BR)
  t.equal(host.kernel.link('vethaaaaaaa')!.hairpin, true, 'hairpin without the proxy')
  t.equal(host.kernel.link('vcaaaaaaa', '/run/netns/sb')!.mac, '02:42:0a:01:00:02')
  const batches = host.iptables.restores().length
  const ports = await d.programExternalConnectivity(e)
  t.same(
    ports.map((p) => `${p.hostIP.toString()}:${p.hostPort}->${p.containerIP.toString()}:${p.port}`),
    ['0.0.0.0:8080->10.1.0.2:80'],
  )
  t.equal(host.iptables.restores().length, batches + 1, 'one batch for the endpoint')
  const rules = host.iptables.dump()
  t.ok(
    rules.includes('nat/LN-DNAT: -p tcp -m tcp --dport 8080 -j DNAT --to-destination 10.1.0.2:80'),
  )
  t.ok(rules.some((r) => r.startsWith('filter/LN-PORTS: -p tcp -d 10.1.0.2/32')))
  t.ok(rules.some((r) => r.startsWith('nat/LN-HAIRPIN: -p tcp -s 10.1.0.2/32')))
})

t.test(
  "a taken host port: typed conflict, nothing left, the port still the first one's",
  async (t) => {
    const { host, d, net } = await withNetwork()
    const bindings = [{ protocol: 'tcp', port: 80, hostPort: 8080 }] as never[]
    const [a, b] = [ep(net, 0, bindings), ep(net, 1, bindings)]
    for (const e of [a, b]) {
      await d.createEndpoint(e)
      await d.join({ ...e, sandboxKey: `/run/netns/${e.endpointId.slice(0, 4)}` })
    }
    await d.programExternalConnectivity(a)
    const rules = host.iptables.dump()
    const err = await d.programExternalConnectivity(b).catch((e: unknown) => e)
    t.ok(LibnetworkError.isInstance(err))
    t.match(err, { category: 'conflict', code: 'port-already-allocated' })
    t.same(host.iptables.dump(), rules, 'no rule added')
    t.same((await d.endpointOperInfo(b)).portBindings, [])
    await d.revokeExternalConnectivity(a)
    t.equal((await d.programExternalConnectivity(b))[0]?.hostPort, 8080, 'free once revoked')
  },
)

t.test('iptables refusing a publish: the error, no rule, no host port kept', async (t) => {
  const { host, d, net } = await withNetwork()
  const bindings = [{ protocol: 'tcp', port: 80, hostPort: 8080 }] as never[]
  const e = ep(net, 0, bindings)
  await d.createEndpoint(e)
  await d.join({ ...e, sandboxKey: '/run/netns/sb' })
  const rules = host.iptables.dump()
  host.iptables.fail()
  await t.rejects(d.programExternalConnectivity(e), {
    name: 'InternalError',
    message: /iptables-restore failed/,
  })
  t.same(host.iptables.dump(), rules, 'no rule added')
  t.equal((await d.programExternalConnectivity(e))[0]?.hostPort, 8080, 'the port was released')
})

t.test('iptables refusing a network: no bridge left, the network can be made after', async (t) => {
  const host = fakeHost()
  const d = host.driver()
  await d.restore({ networks: [], endpoints: [] })
  const rules = host.iptables.dump()
  host.iptables.fail()
  await t.rejects(d.createNetwork(fakeNet(1)), {
    name: 'InternalError',
    message: /iptables-restore failed/,
  })
  t.equal(host.kernel.link(BR), undefined, 'the bridge it made is gone')
  t.same(host.iptables.dump(), rules)
  await d.createNetwork(fakeNet(1))
  t.ok(host.kernel.link(BR))
})

t.test(
  'revoke: out of service at once, rules gone when settled; a failing removal is logged once and retried by deleteEndpoint',
  async (t) => {
    const { host, d, net } = await withNetwork()
    const withNet = host.iptables.dump()
    const bindings = [{ protocol: 'udp', port: 53, hostPort: 5353 }] as never[]
    const e = ep(net, 0, bindings)
    await d.createEndpoint(e)
    await d.join({ ...e, sandboxKey: '/run/netns/sb' })
    await d.programExternalConnectivity(e)
    await d.revokeExternalConnectivity(e)
    t.same((await d.endpointOperInfo(e)).portBindings, [])
    await d.settled!()
    t.same(host.iptables.dump(), withNet, 'rules gone')
    t.ok(
      host.iptables.calls.some((c) => c.argv[0] === 'conntrack'),
      'udp flows flushed',
    )

    await d.programExternalConnectivity(e)
    host.iptables.fail(undefined, Infinity) // the removal, its retry, and their roll-backs
    await d.revokeExternalConnectivity(e)
    await t.rejects(d.settled!(), 'settled reports the failure')
    host.iptables.heal()
    t.equal(host.errors.length, 1, 'logged once, after the retry')
    t.ok(
      host.iptables.dump().some((r) => r.includes('--dport 5353')),
      'rules still there',
    )
    await d.leave(e)
    await d.deleteEndpoint(e)
    t.same(host.iptables.dump(), withNet, 'deleteEndpoint removed them')
  },
)

t.test(
  'restore: same rules and ports; stale links go, lost bridges and rules come back',
  async (t) => {
    const { host, d, net } = await withNetwork()
    const bindings = [{ protocol: 'tcp', port: 80, hostPort: 8080 }] as never[]
    const e = ep(net, 0, bindings)
    await d.createEndpoint(e)
    await d.join({ ...e, sandboxKey: '/run/netns/sb' })
    const ports = await d.programExternalConnectivity(e)
    await d.stop()
    const rules = host.iptables.dump()
    const state = {
      networks: [net],
      endpoints: [{ ...e, sandboxKey: '/run/netns/sb', boundPorts: ports }],
    }

    const again = host.driver()
    t.same(await again.restore(state), { removed: [], recreated: [] }, 'nothing to repair')
    t.same(host.iptables.dump(), rules, 'the same rules, not doubled')
    t.same((await again.endpointOperInfo(e)).portBindings, ports)
    await again.stop()

    host.kernel.add({ name: 'br-stale', kind: 'bridge', alias: `libnetwork:${'9'.repeat(64)}` })
    host.kernel.add({ name: 'foreign0', kind: 'bridge' })
    await host.kernel.deleteLink(BR) // (the veth stays, detached)
    host.kernel.add({ name: 'vethaaaaaaa', kind: 'veth', alias: `libnetwork:${e.endpointId}` })
    await host.iptables.run(['iptables-nft', '--wait', '-t', 'nat', '-F', 'LN-DNAT'])
    const third = host.driver()
    const report = await third.restore(state)
    t.same(report.removed, ['bridge br-stale'])
    t.same(report.recreated.sort(), [`bridge ${BR}`, 'iptables rules', 'veth vethaaaaaaa attached'])
    t.ok(host.kernel.link('foreign0'), 'links without our alias are left alone')
    t.equal(host.kernel.link('vethaaaaaaa')!.master, BR)
    t.same(host.iptables.dump(), rules, 'rules rebuilt from the records')
    await third.stop()
  },
)

t.test('IPv6: the same filter rules in ip6tables, ports on :: too', async (t) => {
  const host = fakeHost()
  const d = host.driver()
  await d.restore({ networks: [], endpoints: [] })
  const net = {
    ...fakeNet(1),
    ipv6: [
      {
        pool: IPNet.parse('fd00:1::/64'),
        gateway: InterfaceAddress.parse('fd00:1::1/64'),
      },
    ],
    enableIPv6: true,
  }
  await d.createNetwork(net)
  t.ok(host.iptables.dump(6).includes(`filter/LN-NETWORKS: -i ${BR} -o ${BR} -j ACCEPT`))
  t.ok(
    host.iptables.dump(6).includes(`nat/LN-POSTROUTING: -s fd00:1::/64 ! -o ${BR} -j MASQUERADE`),
  )
  t.equal(host.kernel.sysctls.get('net.ipv6.conf.all.forwarding'), '1')
  const bindings = [{ protocol: 'tcp', port: 80, hostPort: 8080 }] as never[]
  const e = {
    ...ep(net, 0, bindings),
    iface: {
      address: InterfaceAddress.parse('10.1.0.2/24'),
      addressIPv6: InterfaceAddress.parse('fd00:1::2/64'),
    },
  }
  await d.createEndpoint(e)
  await d.join({ ...e, sandboxKey: '/run/netns/sb' })
  const ports = await d.programExternalConnectivity(e)
  t.same(
    ports.map((p) => `${p.hostIP.toString()}:${p.hostPort}`),
    ['0.0.0.0:8080', ':::8080'],
  )
  t.ok(host.iptables.dump(6).some((r) => r.includes('--to-destination [fd00:1::2]:80')))
})
