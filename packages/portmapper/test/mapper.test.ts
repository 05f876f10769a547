// PortMapper for real: iptables, the proxy and traffic inside namespaces this test creates.
import t, { type Test } from 'tap'
import { IP, type LibnetworkError } from '@libnetwork/types'
import { Iptables } from '@libnetwork/iptables'
import { PortAllocator } from '@libnetwork/portallocator'
import { PortMapper, UserlandProxy, parseMappings, serializeMappings } from '../src/index.js'
import { makeTopology, probe, skipReason, type Topology } from './fixtures/topology.js'

async function setup(
  t: Test,
  topo: Topology,
  withProxy: boolean,
  range = { start: 40000, end: 40099 },
) {
  const iptables = await Iptables.create({ netns: topo.host })
  const allocator = new PortAllocator({ range })
  let proxy: UserlandProxy | undefined
  if (withProxy) {
    proxy = new UserlandProxy({ netns: topo.host })
    await proxy.start()
    t.teardown(() => proxy!.stop())
  }
  const mapper = new PortMapper({
    allocator,
    iptables,
    bridge: topo.bridge,
    ...(proxy ? { proxy } : {}),
  })
  return { iptables, allocator, proxy, mapper }
}

t.test(
  'published ports: DNAT and proxy paths, unmap restores iptables',
  { skip: skipReason },
  async (t) => {
    const topo = await makeTopology(t, 7)
    const { iptables, allocator, proxy, mapper } = await setup(t, topo, true)
    const pristine = await iptables.save()
    await mapper.start()
    const before = await iptables.save()
    const c = IP.parse(topo.containerIP)
    const [tcp, udp] = await mapper.map([
      { protocol: 'tcp', hostPort: 8080, containerIP: c, containerPort: topo.echoPort },
      { protocol: 'udp', hostPort: 8081, containerIP: c, containerPort: topo.echoPort },
    ])
    t.equal(tcp!.hostPort, 8080)
    t.equal(udp!.hostPort, 8081)
    t.equal((await proxy!.stats()).entries, 2, 'one proxy process serves both')
    t.equal(
      await probe(topo, 'tcp', topo.hostIP, 8080, 'via dnat'),
      'via dnat',
      'tcp via kernel DNAT',
    )
    t.equal(
      await probe(topo, 'udp', topo.hostIP, 8081, 'udp dnat'),
      'udp dnat',
      'udp via kernel DNAT',
    )
    t.equal(
      await probe(topo, 'tcp', '127.0.0.1', 8080, 'via proxy'),
      'via proxy',
      'tcp via the proxy',
    )
    t.equal(
      await probe(topo, 'udp', '127.0.0.1', 8081, 'udp proxy'),
      'udp proxy',
      'udp via the proxy',
    )
    const any = await mapper.map({ protocol: 'tcp', containerIP: c, containerPort: topo.echoPort })
    t.equal(any[0]!.hostPort, 40000, 'any port comes from the dynamic range')
    t.equal(await probe(topo, 'tcp', topo.hostIP, 40000, 'dyn'), 'dyn')
    await mapper.unmap([...any, tcp!, udp!])
    t.match(await probe(topo, 'tcp', topo.hostIP, 8080), /^FAIL/, 'unreachable after unmap (DNAT)')
    t.match(await probe(topo, 'tcp', '127.0.0.1', 8080), /^FAIL/, 'unreachable after unmap (proxy)')
    t.match(await probe(topo, 'udp', topo.hostIP, 8081), /^FAIL/)
    t.equal(await iptables.save(), before, 'iptables-save after unmap equals before map')
    t.same(allocator.allocations(), [], 'ports released')
    t.equal((await proxy!.stats()).entries, 0)
    await mapper.stop()
    t.equal(await iptables.save(), pristine, 'stop removes our chains and jumps')
  },
)

t.test('without the proxy only the DNAT path exists', { skip: skipReason }, async (t) => {
  const topo = await makeTopology(t, 8)
  const { mapper } = await setup(t, topo, false)
  await mapper.start()
  const c = IP.parse(topo.containerIP)
  await mapper.map({
    protocol: 'tcp',
    hostPort: 9090,
    containerIP: c,
    containerPort: topo.echoPort,
  })
  t.equal(await probe(topo, 'tcp', topo.hostIP, 9090, 'x'), 'x')
  t.match(await probe(topo, 'tcp', '127.0.0.1', 9090), /^FAIL/, 'loopback needs the proxy')
  await mapper.stop()
})

t.test('conflicts, exhaustion and failed maps leave nothing', { skip: skipReason }, async (t) => {
  const topo = await makeTopology(t, 9)
  const { iptables, allocator, proxy, mapper } = await setup(t, topo, true, {
    start: 41000,
    end: 41001,
  })
  await mapper.start()
  const c = IP.parse(topo.containerIP)
  const first = await mapper.map({
    protocol: 'tcp',
    hostPort: 8080,
    containerIP: c,
    containerPort: topo.echoPort,
  })
  const state = await iptables.save()
  const held = allocator.allocations().length
  const dup = (await mapper
    .map({
      protocol: 'tcp',
      hostIP: IP.parse('127.0.0.1'),
      hostPort: 8080,
      containerIP: c,
      containerPort: 1,
    })
    .catch((e: unknown) => e)) as LibnetworkError
  t.equal(dup.code, 'port-already-allocated', 'double mapping is a ConflictError')
  t.same(dup.details, { ip: '127.0.0.1', port: 8080, protocol: 'tcp' })
  // all or nothing: the second binding fails after the first was allocated
  await t.rejects(
    mapper.map([
      { protocol: 'udp', hostPort: 5000, containerIP: c, containerPort: 53 },
      { protocol: 'tcp', hostPort: 8080, containerIP: c, containerPort: 80 },
    ]),
    { code: 'port-already-allocated' },
  )
  await mapper.map({ protocol: 'tcp', containerIP: c, containerPort: 80 })
  await mapper.map({ protocol: 'tcp', containerIP: c, containerPort: 81 })
  const full = (await mapper
    .map({ protocol: 'tcp', containerIP: c, containerPort: 82 })
    .catch((e: unknown) => e)) as LibnetworkError
  t.equal(full.code, 'ports-exhausted', 'port exhaustion is typed')
  t.equal(full.category, 'unavailable')
  await t.rejects(mapper.map({ protocol: 'icmp' as 'tcp', containerIP: c, containerPort: 1 }), {
    code: 'unknown-protocol',
  })
  await t.rejects(
    mapper.map({ protocol: 'tcp', containerIP: IP.parse('fd00::2'), containerPort: 1 }),
    { code: 'family-not-configured' },
  )
  await t.rejects(mapper.map({ protocol: 'tcp', containerIP: c, containerPort: 0 }), {
    code: 'invalid-port',
  })
  await t.rejects(mapper.unmap({ ...first[0]!, hostPort: 1234 }), { code: 'mapping-not-found' })
  for (const m of mapper.mappings()) if (m.containerPort !== topo.echoPort) await mapper.unmap(m)
  t.equal(await iptables.save(), state, 'after the failures, iptables is as before them')
  t.equal(allocator.allocations().length, held)
  t.equal((await proxy!.stats()).entries, 1)
  await mapper.stop()
})

t.test('a proxy bind failure rolls back rules and ports', { skip: skipReason }, async (t) => {
  const topo = await makeTopology(t, 10)
  const { iptables, allocator, proxy, mapper } = await setup(t, topo, true)
  await mapper.start()
  const c = IP.parse(topo.containerIP)
  // something outside the mapper already listens on the port (in the host namespace)
  await proxy!.add({
    protocol: 'tcp',
    hostIP: IP.parse('0.0.0.0'),
    hostPort: 6000,
    containerIP: c,
    containerPort: 1,
  })
  const before = await iptables.save()
  await t.rejects(
    mapper.map({ protocol: 'tcp', hostPort: 6000, containerIP: c, containerPort: topo.echoPort }),
    {
      code: 'port-in-use',
    },
  )
  t.equal(await iptables.save(), before, 'no rules left behind')
  t.same(allocator.allocations(), [], 'no port left allocated')
  await mapper.stop()
})

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
