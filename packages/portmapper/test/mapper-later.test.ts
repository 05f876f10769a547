// PortMapper background removals (unmapLater, settled) for real: iptables, the proxy and traffic
// inside namespaces this test creates (removed at teardown even on failure).
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { IP, type LibnetworkError } from '@libnetwork/types'
import { Iptables } from '@libnetwork/iptables'
import { PortAllocator } from '@libnetwork/portallocator'
import { PortMapper } from '../src/index.js'
import { makeTopology, probe, skipReason } from './fixtures/topology.js'
import { setup } from './fixtures/mapper.js'

t.test(
  'unmapLater: out of service at once, removed in the background, later maps wait for it',
  { skip: skipReason },
  async (t) => {
    const topo = await makeTopology(t, 21)
    const { iptables, allocator, proxy, mapper } = await setup(t, topo, true)
    await mapper.start()
    const before = await iptables.save()
    const c = IP.parse(topo.containerIP)
    const [web] = await mapper.map({
      protocol: 'tcp',
      hostPort: 8080,
      containerIP: c,
      containerPort: topo.echoPort,
    })
    const others = await mapper.map([
      { protocol: 'tcp', containerIP: c, containerPort: topo.echoPort },
      { protocol: 'udp', containerIP: c, containerPort: topo.echoPort },
    ])
    t.equal(await probe(topo, 'tcp', topo.hostIP, 8080, 'up'), 'up')

    const done = mapper.unmapLater(web!)
    t.same(
      mapper.mappings().map((m) => m.hostPort),
      others.map((m) => m.hostPort),
      'gone from mappings() before the removal ran',
    )
    t.throws(() => mapper.unmapLater(web!), { code: 'mapping-not-found' }, 'queued once only')
    await t.rejects(mapper.unmap(web!), { code: 'mapping-not-found' })
    // the same host port again: waits for the removal instead of conflicting
    const again = await mapper.map({
      protocol: 'tcp',
      hostPort: 8080,
      containerIP: c,
      containerPort: topo.echoPort,
    })
    t.equal(await done, undefined, 'the removal succeeded')
    t.equal(again[0]!.hostPort, 8080, 'the port was free when the next map ran')
    t.equal(await probe(topo, 'tcp', topo.hostIP, 8080, 'again'), 'again')

    // several removals queued together; settled() waits for all of them
    mapper.unmapLater(again)
    for (const m of others) mapper.unmapLater(m)
    t.same(mapper.mappings(), [], 'nothing in service')
    await mapper.settled()
    t.equal(await iptables.save(), before, 'no rule left')
    t.same(allocator.allocations(), [], 'every host port released')
    t.equal((await proxy!.stats()).entries, 0, 'no proxy listener left')
    t.match(await probe(topo, 'tcp', topo.hostIP, 8080), /^FAIL/, 'unreachable (DNAT)')
    t.match(await probe(topo, 'tcp', '127.0.0.1', 8080), /^FAIL/, 'unreachable (proxy)')
    await mapper.settled() // nothing pending: resolves at once
  },
)

t.test('bad input to unmapLater changes nothing', { skip: skipReason }, async (t) => {
  const topo = await makeTopology(t, 22)
  const { mapper, allocator } = await setup(t, topo, false)
  await mapper.start()
  const c = IP.parse(topo.containerIP)
  const [m] = await mapper.map({ protocol: 'tcp', containerIP: c, containerPort: topo.echoPort })
  const stranger = { ...m!, hostPort: m!.hostPort + 1 }
  t.throws(() => mapper.unmapLater([m!, stranger]), { code: 'mapping-not-found' })
  t.throws(() => mapper.unmapLater([m!, m!]), { code: 'duplicate-mapping' })
  t.throws(() => mapper.unmapLater(null as never), { code: 'mapping-not-found' })
  t.same(mapper.mappings(), [m], 'the mapping is still in service')
  t.equal(allocator.allocations().length, 1)
  await mapper.settled()
  t.same(mapper.mappings(), [m])
})

t.test(
  'a removal that fails twice is reported and the mapping kept',
  { skip: skipReason },
  async (t) => {
    // iptables of a namespace that disappears: every later iptables run fails
    const ns = `lnt-portmapper-f-${randomBytes(3).toString('hex')}`
    t.teardown(() => {
      try {
        execFileSync('ip', ['netns', 'del', ns], { stdio: 'ignore' })
      } catch {
        // already gone
      }
    })
    execFileSync('ip', ['netns', 'add', ns])
    const iptables = await Iptables.create({ netns: ns })
    const allocator = new PortAllocator({ range: { start: 40000, end: 40009 } })
    const errors: Error[] = []
    const mapper = new PortMapper({
      allocator,
      iptables,
      bridge: 'lnt-br0',
      onError: (e) => errors.push(e),
    })
    await mapper.start()
    const [m] = await mapper.map({
      protocol: 'tcp',
      containerIP: IP.parse('172.31.23.2'),
      containerPort: 80,
    })
    execFileSync('ip', ['netns', 'del', ns])
    const err = await mapper.unmapLater(m!)
    t.ok(err, 'the removal reports its error')
    t.equal(errors.length, 1, 'onError heard it once (after the retry)')
    t.equal(errors[0], err)
    t.same(mapper.mappings(), [m], 'the mapping is kept (its rules may still be there)')
    t.same(
      allocator.allocations().map((a) => a.port),
      [m!.hostPort],
      'its host port stays allocated',
    )
    await t.rejects(mapper.settled(), err as LibnetworkError, 'settled throws it once')
    await mapper.settled()
  },
)
