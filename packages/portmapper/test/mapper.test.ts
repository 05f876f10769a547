// PortMapper for real: iptables, the proxy and traffic inside namespaces this test creates.
import t from 'tap'
import { IP, type LibnetworkError } from '@libnetwork/types'
import { makeTopology, probe, skipReason } from './fixtures/topology.js'
import { setup } from './fixtures/mapper.js'

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
  // ranges, as -p 8000-8002:7000-7002 and -p 8100-8199:7000
  const ranged = await mapper.map({
    protocol: 'tcp',
    hostPort: { start: 8000, end: 8002 },
    containerIP: c,
    containerPort: { start: topo.echoPort, end: topo.echoPort + 2 },
  })
  t.same(
    ranged.map((m) => `${m.hostPort}->${m.containerPort}`),
    ['8000->7000', '8001->7001', '8002->7002'],
  )
  t.equal(await probe(topo, 'tcp', topo.hostIP, 8000, 'ranged'), 'ranged')
  const picked = await mapper.map({
    protocol: 'udp',
    hostPort: { start: 8100, end: 8199 },
    containerIP: c,
    containerPort: topo.echoPort,
  })
  t.equal(picked[0]!.hostPort, 8100, 'one host port picked from the range')
  t.equal(await probe(topo, 'udp', topo.hostIP, 8100, 'picked'), 'picked')
  const before = mapper.mappings().length
  await t.rejects(
    mapper.map({
      protocol: 'tcp',
      hostPort: { start: 9000, end: 9001 },
      containerIP: c,
      containerPort: { start: 1, end: 3 },
    }),
    { code: 'port-range-mismatch' },
  )
  await t.rejects(
    mapper.map({ protocol: 'tcp', containerIP: c, containerPort: { start: 5, end: 1 } }),
    { code: 'invalid-port' },
  )
  t.equal(mapper.mappings().length, before, 'failed range maps add nothing')
  await mapper.unmap(ranged)
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
