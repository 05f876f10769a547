import t from 'tap'
import { startCluster, waitFor, stateOf, liveNames } from './helpers.js'
import { FaultyTransport, NetTransport } from '../src/index.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test('no false death declarations at 10% datagram loss (TCP fallback off)', async (t) => {
  const nodes = await startCluster(t, 6, { disableTcpPings: true, suspicionMult: 4 })
  await waitFor('converged', () => nodes.every((n) => n.g.numMembers() === 6))
  for (const n of nodes) n.faults.setFaults({ dropRate: 0.1 })
  await sleep(5000)
  const dropped = nodes.reduce((a, n) => a + n.faults.stats.dropped, 0)
  t.ok(dropped > 20, `datagrams were dropped (${dropped})`)
  for (const n of nodes) {
    t.equal(n.g.metrics.counters.declaredDead ?? 0, 0, `${n.g.name} declared nobody dead`)
    t.equal(n.g.numMembers(), 6)
  }
})

t.test("no false deaths at 10% loss with memberlist's local profile (timings ÷ 5)", async (t) => {
  // memberlist's DefaultLocalConfig (one indirect check, suspicion mult 3, retransmit mult 2,
  // TCP fallback on) with its intervals divided by 5 so the 5 s run spans ~25 probe rounds
  const nodes = await startCluster(t, 6, {
    probeInterval: 200,
    probeTimeout: 40,
    gossipInterval: 20,
    indirectChecks: 1,
    suspicionMult: 3,
    retransmitMult: 2,
    tcpTimeout: 200,
    pushPullInterval: 3000,
  })
  await waitFor('converged', () => nodes.every((n) => n.g.numMembers() === 6))
  for (const n of nodes) n.faults.setFaults({ dropRate: 0.1 })
  await sleep(5000)
  const dropped = nodes.reduce((a, n) => a + n.faults.stats.dropped, 0)
  t.ok(dropped > 20, `datagrams were dropped (${dropped})`)
  for (const n of nodes) {
    t.equal(n.g.metrics.counters.declaredDead ?? 0, 0, `${n.g.name} declared nobody dead`)
    t.equal(n.g.numMembers(), 6)
  }
})

t.test('one-way partition: the muted node is declared dead, then heals', async (t) => {
  // FaultyTransport cuts datagrams and outbound dials; a TCP ping answered on an inbound
  // connection would bypass the cut, so the fallback is off here
  const nodes = await startCluster(t, 4, { disableTcpPings: true })
  await waitFor('converged', () => nodes.every((n) => n.g.numMembers() === 4))
  const muted = nodes[3]!
  const rest = nodes.slice(0, 3)
  for (const r of rest) muted.faults.block(r.g.address) // muted → others cut; others → muted open
  await waitFor('muted node dead at the others', () =>
    rest.every((r) => stateOf(r.g, muted.g.name) === 'dead'),
  )
  // the muted node still hears everyone, so it keeps them alive
  t.equal(muted.g.numMembers(), 4)
  muted.faults.unblock()
  await waitFor('healed', () => rest.every((r) => stateOf(r.g, muted.g.name) === 'alive'))
  t.ok(
    rest.every((r) => r.g.member(muted.g.name)!.incarnation > 1),
    'healed by refutation',
  )
})

t.test('a full partition into halves heals after the partition ends', async (t) => {
  // The halves heal by gossip to the dead, which lasts gossipToTheDeadTime after a death (30 s
  // by default). On a loaded machine the heal can take longer than that window, and then it
  // never comes, so the window and the wait are both generous here.
  const nodes = await startCluster(t, 4, { gossipToTheDeadTime: 120_000 })
  await waitFor('converged', () => nodes.every((n) => n.g.numMembers() === 4))
  const [a, b] = [nodes.slice(0, 2), nodes.slice(2)]
  for (const x of a) for (const y of b) x.faults.block(y.g.address)
  for (const y of b) for (const x of a) y.faults.block(x.g.address)
  await waitFor('both sides see the other dead', () => nodes.every((n) => n.g.numMembers() === 2))
  t.same(liveNames(a[0]!.g), [a[0]!.g.name, a[1]!.g.name].sort())
  for (const n of nodes) n.faults.unblock()
  const all = nodes.map((n) => n.g.name).sort()
  await waitFor('healed', () => nodes.every((n) => liveNames(n.g).join() === all.join()), 90_000)
  t.pass('all four see each other again')
})

t.test('20 ms delay on every datagram: cluster converges and stays whole', async (t) => {
  const nodes = await startCluster(t, 4)
  for (const n of nodes) n.faults.setFaults({ delayMs: 20 })
  await waitFor('converged', () => nodes.every((n) => n.g.numMembers() === 4))
  await sleep(1500)
  for (const n of nodes) t.equal(n.g.metrics.counters.declaredDead ?? 0, 0)
})

t.test('fault settings are validated', async (t) => {
  const f = new FaultyTransport(new NetTransport({ bindPort: 0 }))
  t.throws(() => f.setFaults({ dropRate: 2 }), { code: 'gossip-fault-drop' })
  t.throws(() => f.setFaults({ delayMs: -1 }), { code: 'gossip-fault-delay' })
})
