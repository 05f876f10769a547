// A large table across several nodes on real gossip (loopback UDP/TCP, NetworkDB's gossip
// defaults): the event loop is never held long and no node is falsely declared dead.
//
// Bound: bulk syncs run in slices of ~8 ms (SLICE_MS) and received messages within a budget
// of 8 ms per turn; the stated bound is 50 ms per turn of the event loop, and the test fails
// above 4 × that. What is measured is the CPU time the main thread used between two firings
// of a 5 ms timer (Linux: /proc schedstat of the main thread), i.e. how long our code held
// the loop, whatever share of the CPU the loaded machine gave this process; the wall-clock
// delay (monitorEventLoopDelay) is reported, not asserted: on a machine at load 40 a process
// that does nothing but 1 ms tasks sees delays of seconds. A synchronous block of 500 ms
// anywhere in the run fails the test (checked by hand, see the README).
import t from 'tap'
import { loadavg } from 'node:os'
import { startNode, stopAll, waitFor, type TestNode } from './fixtures/cluster.js'
import { startLoopMonitor } from '../bench/loop-monitor.mjs'

const ENTRIES = 20_000
const BOUND_MS = 50
const MARGIN = 4
const value = (i: number): Uint8Array => new TextEncoder().encode(`v${i}:`.padEnd(100, 'x'))
// live entries without copying the table (getTable would build 20,000 objects per poll)
const count = (n: TestNode): number => n.db.networkStats('net1').entries
const tick = (): Promise<void> => new Promise((r) => setImmediate(r))

t.test('20,000 entries on 4 nodes, a late joiner, a full bulk sync and deletes', async (t) => {
  const nodes: TestNode[] = []
  t.teardown(() => stopAll(nodes))
  // NetworkDB's gossip defaults (500 ms probes), not the fast test profile
  const opts = { bulkSyncIntervalMs: 0 }
  for (let i = 0; i < 4; i++) nodes.push(await startNode(`big-${i}`, opts, {}))
  for (const n of nodes.slice(1)) await n.db.join([nodes[0]!.address])
  await waitFor(() => nodes.every((n) => n.m.alive().length === 3), 'membership')
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 4), 'net1 peers')

  let falseDeaths = 0
  const watch = (n: TestNode): void => {
    n.m.gossip.on('failed', () => falseDeaths++)
  }
  nodes.forEach(watch)
  const monitor = startLoopMonitor()

  const [w] = nodes as [TestNode]
  // The writer is an application that yields between batches of 200.
  for (let i = 0; i < ENTRIES; i++) {
    w.db.createEntry('t1', 'net1', `k${i}`, value(i))
    if (i % 200 === 199) await tick()
  }
  await waitFor(() => nodes.every((n) => count(n) === ENTRIES), 'all have the table', 180_000)

  // A late joiner gets 20,000 entries from each of 4 peers.
  const late = await startNode('big-late', opts, {})
  nodes.push(late)
  watch(late)
  await late.db.join([w.address])
  await waitFor(() => late.m.alive().length === 4, 'late joiner is a member')
  await late.db.joinNetwork('net1')
  t.equal(count(late), ENTRIES, 'joinNetwork resolved with the whole table')

  // Every node bulk-syncs with every other at once: 20 syncs of 20,000 entries.
  await Promise.all(nodes.map((n) => n.db.cluster.bulkSync('net1', n.db.cluster.peersOf('net1'))))
  t.ok(
    nodes.every((n) => n.db.cluster.stats.bulkSlices > nodes.length),
    'bulk syncs were applied in many slices',
  )

  for (let i = 0; i < ENTRIES; i++) {
    w.db.deleteEntry('t1', 'net1', `k${i}`)
    if (i % 200 === 199) await tick()
  }
  await waitFor(() => nodes.every((n) => count(n) === 0), 'the deletes reached all', 180_000)
  const m = monitor.stop()
  const limit = MARGIN * BOUND_MS
  t.comment(
    `longest event-loop delay ${m.maxMs.toFixed(1)} ms wall (p99 ${m.p99Ms.toFixed(1)} ms), longest GC pause ${m.maxGcMs.toFixed(1)} ms wall; load average ${loadavg()[0]!.toFixed(1)}`,
  )
  t.ok(
    m.maxCpuMs <= limit,
    `most ${m.cpuSource} CPU between two ticks ${m.maxCpuMs.toFixed(1)} ms ≤ ${limit} ms`,
  )
  t.equal(falseDeaths, 0, 'no node was declared dead')
  t.ok(
    nodes.every((n) => n.m.alive().length === nodes.length - 1),
    'every node still sees every other alive',
  )
})
