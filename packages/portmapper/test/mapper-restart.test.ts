// PortMapper for real (restart, remote clients, IPv6): iptables, the proxy and traffic inside namespaces this test creates.
import t from 'tap'
import { IP } from '@libnetwork/types'
import { Iptables } from '@libnetwork/iptables'
import { PortAllocator } from '@libnetwork/portallocator'
import { PortMapper, UserlandProxy, parseMappings, serializeMappings } from '../src/index.js'
import { makeTopology, probe, skipReason } from './fixtures/topology.js'
import { PROXY_READY_BOUND_MS, setup } from './fixtures/mapper.js'

t.test(
  'restart: stored mappings come back on the same ports; reapply after a flush',
  { skip: skipReason },
  async (t) => {
    const topo = await makeTopology(t, 11)
    const first = await setup(t, topo, true)
    await first.mapper.start()
    const c = IP.parse(topo.containerIP)
    await first.mapper.map([
      { protocol: 'tcp', containerIP: c, containerPort: topo.echoPort },
      { protocol: 'udp', containerIP: c, containerPort: topo.echoPort },
    ])
    const stored = serializeMappings(first.mapper.mappings())
    await first.proxy!.stop() // the daemon dies; its rules stay in the kernel
    const second = await setup(t, topo, true)
    const restored = await second.mapper.restore(parseMappings(stored))
    t.same(
      restored.map((m) => `${m.protocol}:${m.hostPort}`),
      parseMappings(stored).map((m) => `${m.protocol}:${m.hostPort}`),
      'same host ports',
    )
    const port = restored[0]!.hostPort
    t.equal(await probe(topo, 'tcp', topo.hostIP, port, 'again'), 'again')
    t.equal(await probe(topo, 'tcp', '127.0.0.1', port, 'proxy again'), 'proxy again')
    t.ok(
      (await second.mapper.verify()).every((v) => v.ok),
      'no duplicate rules from the old run',
    )
    // a firewall reload flushes everything
    const { execFileSync } = await import('node:child_process')
    execFileSync('ip', ['netns', 'exec', topo.host, 'iptables', '-t', 'nat', '-F'])
    t.notMatch(
      await second.iptables.save({ table: 'nat' }),
      /DNAT/,
      'DNAT rules gone with the flush',
    )
    t.notOk((await second.mapper.verify())[0]!.ok)
    await second.mapper.reapply()
    t.ok((await second.mapper.verify())[0]!.ok)
    t.match(await second.iptables.save({ table: 'nat' }), /DNAT/, 'DNAT rules back')
    t.equal(await probe(topo, 'tcp', topo.hostIP, port, 'healed'), 'healed')
    await second.mapper.stop()
  },
)

t.test(
  'remote clients go through PREROUTING DNAT and the FORWARD accept',
  { skip: skipReason },
  async (t) => {
    const topo = await makeTopology(t, 12, { outside: true })
    const { iptables, mapper, proxy } = await setup(t, topo, true)
    // what the bridge driver would install: forwarding closed by default, replies allowed
    await iptables
      .batch()
      .append('filter', 'FORWARD', {
        outInterface: topo.bridge,
        ctstate: ['RELATED', 'ESTABLISHED'],
        target: { type: 'ACCEPT' },
      })
      .append('filter', 'FORWARD', {
        inInterface: topo.bridge,
        outInterface: { not: topo.bridge },
        target: { type: 'ACCEPT' },
      })
      .commit()
    t.equal((await iptables.raw(['-P', 'FORWARD', 'DROP'])).code, 0, 'FORWARD policy DROP')
    await mapper.start()
    const c = IP.parse(topo.containerIP)
    const [tcp, udp] = await mapper.map([
      { protocol: 'tcp', hostPort: 8080, containerIP: c, containerPort: topo.echoPort },
      { protocol: 'udp', hostPort: 8080, containerIP: c, containerPort: topo.echoPort },
    ])
    t.equal(
      await probe(topo, 'tcp', topo.outsideHostIP!, 8080, 'remote tcp', topo.outside),
      'remote tcp',
    )
    t.equal(
      await probe(topo, 'udp', topo.outsideHostIP!, 8080, 'remote udp', topo.outside),
      'remote udp',
    )
    t.equal((await proxy!.stats()).connections, 0, 'the proxy carried none of it (no UDP flow)')
    await mapper.unmap([tcp!, udp!])
    t.match(
      await probe(topo, 'tcp', topo.outsideHostIP!, 8080, 'x', topo.outside),
      /^FAIL/,
      'closed after unmap',
    )
    t.match(
      await probe(topo, 'udp', topo.outsideHostIP!, 8080, 'x', topo.outside),
      /^FAIL/,
      'udp closed too',
    )
    const { execFileSync } = await import('node:child_process')
    const flows = execFileSync(
      'ip',
      ['netns', 'exec', topo.host, 'conntrack', '-L', '-p', 'udp', '--dport', '8080'],
      {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      },
    )
    t.notMatch(flows, /dst=172\.31\.12\.2/, 'no DNATed udp flow left in conntrack')
    await mapper.stop()
  },
)

t.test('IPv6 mappings with ip6tables', { skip: skipReason }, async (t) => {
  const topo = await makeTopology(t, 13, { v6: true })
  const iptables6 = await Iptables.create({ netns: topo.host, family: 6 })
  const proxy = new UserlandProxy({ netns: topo.host, startTimeoutMs: PROXY_READY_BOUND_MS })
  await proxy.start()
  t.teardown(() => proxy.stop())
  const mapper = new PortMapper({
    allocator: new PortAllocator({ range: { start: 42000, end: 42010 } }),
    iptables6,
    proxy,
    bridge: topo.bridge,
  })
  await mapper.start()
  const before = await iptables6.save()
  const c = IP.parse(topo.containerIP6!)
  const mapped = await mapper.map([
    { protocol: 'tcp', hostPort: 8080, containerIP: c, containerPort: topo.echoPort },
    { protocol: 'udp', hostPort: 8080, containerIP: c, containerPort: topo.echoPort },
  ])
  t.equal(mapped[0]!.hostIP.toString(), '::')
  t.equal(
    await probe(topo, 'tcp', topo.hostIP6!, 8080, 'v6 dnat'),
    'v6 dnat',
    'tcp via ip6tables DNAT',
  )
  t.equal(
    await probe(topo, 'udp', topo.hostIP6!, 8080, 'v6 udp'),
    'v6 udp',
    'udp via ip6tables DNAT',
  )
  t.equal(await probe(topo, 'tcp', '::1', 8080, 'v6 proxy'), 'v6 proxy', 'tcp via the proxy on ::1')
  await t.rejects(
    mapper.map({ protocol: 'tcp', containerIP: IP.parse('172.31.13.2'), containerPort: 1 }),
    {
      code: 'family-not-configured',
    },
  )
  await mapper.unmap(mapped)
  t.equal(await iptables6.save(), before, 'ip6tables-save after unmap equals before map')
  t.match(await probe(topo, 'tcp', topo.hostIP6!, 8080), /^FAIL/)
  await mapper.stop()
})

t.test(
  'loopbackDnat: host-local 127.0.0.1 through the kernel, no proxy',
  { skip: skipReason },
  async (t) => {
    const topo = await makeTopology(t, 14)
    const iptables = await Iptables.create({ netns: topo.host })
    const pristine = await iptables.save()
    const mapper = new PortMapper({
      allocator: new PortAllocator({ range: { start: 43000, end: 43010 } }),
      iptables,
      bridge: topo.bridge,
      loopbackDnat: true,
    })
    await mapper.start()
    const before = await iptables.save()
    const c = IP.parse(topo.containerIP)
    const mapped = await mapper.map([
      { protocol: 'tcp', hostPort: 9090, containerIP: c, containerPort: topo.echoPort },
      { protocol: 'udp', hostPort: 9090, containerIP: c, containerPort: topo.echoPort },
    ])
    t.equal(
      await probe(topo, 'tcp', '127.0.0.1', 9090, 'lo tcp'),
      'lo tcp',
      'tcp to 127.0.0.1 via DNAT',
    )
    t.equal(
      await probe(topo, 'udp', '127.0.0.1', 9090, 'lo udp'),
      'lo udp',
      'udp to 127.0.0.1 via DNAT',
    )
    t.equal(await probe(topo, 'tcp', topo.hostIP, 9090, 'host ip'), 'host ip')
    await mapper.unmap(mapped)
    t.equal(await iptables.save(), before)
    t.match(await probe(topo, 'tcp', '127.0.0.1', 9090), /^FAIL/)
    await mapper.stop()
    t.equal(await iptables.save(), pristine, 'stop removes the loopback masquerade too')
    t.throws(
      () => new PortMapper({ allocator: new PortAllocator(), iptables, loopbackDnat: true }),
      {
        code: 'invalid-option',
      },
    )
  },
)
