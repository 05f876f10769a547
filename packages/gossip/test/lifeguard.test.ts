// Lifeguard details that memberlist gets right and that change failure-detection timing:
// local health improves on every successful probe (direct, indirect or TCP), and the node count
// that scales suspicion timeouts and retransmits includes dead nodes until they are reaped.
import t, { type Test } from 'tap'
import { IP } from '@libnetwork/types'
import { Gossip, NetTransport, FaultyTransport, type GossipConfig } from '../src/index.js'
import { waitFor, stateOf } from './helpers.js'

/** Exposes the protected parts these tests drive. */
class Probing extends Gossip {
  raiseHealth(delta: number): void {
    this.applyAwareness(delta)
  }
  async probeByName(name: string): Promise<void> {
    await this.probeNode(this.nodeMap.get(name)!)
  }
  count(): number {
    return this.nodeCount()
  }
}

let seq = 0

async function node(
  t: Test,
  cfg: Partial<GossipConfig>,
): Promise<{ g: Probing; faults: FaultyTransport }> {
  const faults = new FaultyTransport(
    new NetTransport({ bindAddr: IP.parse('127.0.0.1'), bindPort: 0 }),
  )
  const g = new Probing({ name: `lg-${process.pid}-${++seq}`, ...cfg, transport: faults })
  await g.start()
  t.teardown(() => g.stop())
  return { g, faults }
}

t.test('a probe answered only through an indirect peer improves local health', async (t) => {
  // a long probe interval keeps the background probe loop out of the way
  const cfg = { probeInterval: 60_000, probeTimeout: 100, gossipInterval: 40, pushPullInterval: 0 }
  const [a, b, c] = [await node(t, cfg), await node(t, cfg), await node(t, cfg)]
  await b.g.join([a.g.address])
  await c.g.join([a.g.address])
  await waitFor('converged', () => [a, b, c].every((x) => x.g.numMembers() === 3))
  a.faults.block(b.g.address) // a's datagrams and dials to b are lost; c can still reach b
  a.g.raiseHealth(3)
  t.equal(a.g.healthScore, 3)
  await a.g.probeByName(b.g.name)
  t.ok(a.faults.stats.blocked > 0, 'the direct ping was lost')
  t.equal(stateOf(a.g, b.g.name), 'alive', 'the indirect ack kept b alive')
  t.ok(a.g.healthScore <= 2, `health improved (score ${a.g.healthScore})`)
})

t.test('the node count that scales timeouts keeps dead nodes until reaped', async (t) => {
  const cfg = {
    probeInterval: 200,
    probeTimeout: 80,
    gossipInterval: 40,
    suspicionMult: 3,
    pushPullInterval: 0,
  }
  const [a, b, c] = [await node(t, cfg), await node(t, cfg), await node(t, cfg)]
  await b.g.join([a.g.address])
  await c.g.join([a.g.address])
  await waitFor('converged', () => [a, b, c].every((x) => x.g.numMembers() === 3))
  await c.g.stop()
  await waitFor('c dead at a', () => stateOf(a.g, c.g.name) === 'dead', 20_000)
  t.equal(a.g.numMembers(), 2, 'live members exclude the dead node')
  t.equal(a.g.count(), 3, 'memberlist numNodes still counts it (gossip-to-the-dead window)')
})
