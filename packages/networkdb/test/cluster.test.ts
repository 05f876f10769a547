// Several NetworkDB nodes in this process, on real gossip over loopback UDP/TCP.
import t from 'tap'
import { bytes, text } from './fixtures/helpers.js'
import { count, startCluster, stopAll, waitFor } from './fixtures/cluster.js'

t.test('entries reach every member of the network and never a non-member', async (t) => {
  const nodes = await startCluster(4)
  t.teardown(() => stopAll(nodes))
  const [a, b, c, d] = nodes as [
    (typeof nodes)[0],
    (typeof nodes)[0],
    (typeof nodes)[0],
    (typeof nodes)[0],
  ]
  await Promise.all([a, b, c].map((n) => n.db.joinNetwork('net1')))
  await d.db.joinNetwork('other')
  await waitFor(() => [a, b, c].every((n) => n.db.networkPeers('net1').length === 3), 'net1 peers')
  for (let i = 0; i < 200; i++)
    a.db.createEntry('t1', 'net1', `k${i}`, bytes(`v${i}`.padEnd(100, '.')))
  await waitFor(() => count(b) === 200 && count(c) === 200, 'b and c have 200 entries')
  t.equal(text(c.db.getEntry('t1', 'net1', 'k7').value).slice(0, 2), 'v7')
  t.equal(c.db.getEntry('t1', 'net1', 'k7').owner, 'node-0')

  b.db.updateEntry('t1', 'net1', 'k1', bytes('by b'))
  c.db.deleteEntry('t1', 'net1', 'k2')
  await waitFor(
    () =>
      [a, b, c].every(
        (n) => text(n.db.getEntry('t1', 'net1', 'k1').value) === 'by b' && count(n) === 199,
      ),
    'update and delete propagate',
  )
  t.equal(a.db.getEntry('t1', 'net1', 'k1').owner, 'node-1')

  t.same(d.db.getTable('t1', 'net1'), [], 'non-member holds nothing')
  t.equal(d.db.cluster.stats.tableEventsReceived, 0, 'non-member received no table event')
  t.equal(d.db.cluster.stats.tableBytesReceived, 0, 'non-member received no table bytes')
  t.equal(d.db.cluster.stats.bulkBytesReceived, 0, 'non-member received no bulk sync')
  t.ok(b.db.cluster.stats.tableBytesReceived > 200 * 100, 'member received the table bytes')
})

t.test('a late joiner gets the network state by bulk sync', async (t) => {
  const nodes = await startCluster(3, {}, 'late')
  t.teardown(() => stopAll(nodes))
  const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
  await Promise.all([a, b].map((n) => n.db.joinNetwork('net1')))
  await waitFor(
    () => [a, b].every((n) => n.db.networkPeers('net1').length === 2),
    'a and b in net1',
  )
  for (let i = 0; i < 50; i++) a.db.createEntry('t1', 'net1', `k${i}`, bytes('x'))
  a.db.deleteEntry('t1', 'net1', 'k0')
  await waitFor(() => count(b) === 49, 'b has them')
  await c.db.joinNetwork('net1')
  t.equal(count(c), 49, 'join returns after the bulk sync')
  let tombstones = 0
  c.db.walk('t1', (e) => void (e.deleting && tombstones++))
  t.equal(tombstones, 1, 'the tombstone came along')

  // Two networks joined at once sync with the same peer one after the other.
  await Promise.all([a.db.joinNetwork('n2'), a.db.joinNetwork('n3')])
  a.db.createEntry('t1', 'n2', 'x', bytes('2'))
  a.db.createEntry('t1', 'n3', 'y', bytes('3'))
  await waitFor(
    () => b.db.networkPeers('n3').length === 1 && b.db.networkPeers('n2').length === 1,
    'b knows a is in n2, n3',
  )
  await Promise.all([b.db.joinNetwork('n2'), b.db.joinNetwork('n3')])
  t.equal(count(b, 't1', 'n2') + count(b, 't1', 'n3'), 2, 'both networks synced on join')
})

t.test('concurrent writes of one key converge to one value everywhere', async (t) => {
  const nodes = await startCluster(3, {}, 'conc')
  t.teardown(() => stopAll(nodes))
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 3), 'peers')
  for (const [i, n] of nodes.entries()) n.db.createEntry('t1', 'net1', 'x', bytes(`from ${i}`))
  await waitFor(() => {
    const vals = nodes.map((n) => text(n.db.getEntry('t1', 'net1', 'x').value))
    return vals.every((v) => v === vals[0])
  }, 'one value')
  const e = nodes.map((n) => n.db.getEntry('t1', 'net1', 'x'))
  t.equal(new Set(e.map((x) => `${x.owner}@${x.ltime}`)).size, 1, 'same owner and clock')
  t.equal(e[0]!.owner, 'conc-2', 'equal clocks: the greater owner id wins')
})

// A protocol-timing test: "b is marked left" needs b's graceful leave to reach a before failure
// detection declares b failed. With the FAST profile (200 ms probes, suspicion ×2) a loaded
// machine, where every node of this process stalls together, lets failure detection win now
// and then. So the timing is scaled to memberlist's LAN pace (1 s probes, 500 ms probe
// timeout, suspicion ×4: seconds before a missed probe becomes a death), and the waits are
// generous (60 s); the assertions are the same.
const LEAVE_TIMING = {
  probeInterval: 1_000,
  probeTimeout: 500,
  gossipInterval: 100,
  suspicionMult: 4,
  pushPullInterval: 5_000,
}

t.test('leaving a network or the cluster removes the node entries on the others', async (t) => {
  const nodes = await startCluster(3, {}, 'leave', LEAVE_TIMING)
  t.teardown(() => stopAll(nodes))
  const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 3), 'peers', 60_000)
  b.db.createEntry('t1', 'net1', 'b1', bytes('1'))
  c.db.createEntry('t1', 'net1', 'c1', bytes('1'))
  await waitFor(() => count(a) === 2, 'a has both', 60_000)
  await c.db.leaveNetwork('net1')
  await waitFor(
    () => count(a) === 1 && count(b) === 1,
    'c entries gone after leave network',
    60_000,
  )
  t.same(a.db.networkPeers('net1'), ['leave-0', 'leave-1'])
  await b.db.stop()
  await waitFor(() => count(a) === 0, 'b entries gone after b left the cluster', 60_000)
  // A stopped node still answers locally; its sends are dropped, never thrown from a timer.
  b.db.createEntry('t1', 'net1', 'late', bytes('x'))
  await new Promise((r) => setTimeout(r, 50))
  t.ok(b.db.cluster.stats.sendErrors > 0, 'the send was refused and counted')
  await waitFor(
    () => a.db.clusterPeers().find((p) => p.name === 'leave-1')?.status === 'left',
    'b is marked left',
    60_000,
  )
})

t.test('a failed node loses its entries; back, it gets them again', async (t) => {
  const nodes = await startCluster(3, {}, 'fail')
  t.teardown(() => stopAll(nodes))
  const [a, b, c] = nodes as [(typeof nodes)[0], (typeof nodes)[0], (typeof nodes)[0]]
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 3), 'peers')
  c.db.createEntry('t1', 'net1', 'c1', bytes('1'))
  await waitFor(() => count(a) === 1 && count(b) === 1, 'spread')
  // Cut c off both ways: to the others it has failed.
  c.faults.block(a.addr)
  c.faults.block(b.addr)
  a.faults.block(c.addr)
  b.faults.block(c.addr)
  await waitFor(() => count(a) === 0 && count(b) === 0, 'failed node entries dropped', 30_000)
  t.equal(a.db.clusterPeers().find((p) => p.name === 'fail-2')?.status, 'failed')
  // Heal: writes made on both sides during the partition converge.
  a.db.createEntry('t1', 'net1', 'a1', bytes('during'))
  c.faults.unblock()
  a.faults.unblock()
  b.faults.unblock()
  await waitFor(() => nodes.every((n) => count(n) === 2), 'partition healed and converged', 40_000)
  t.pass('converged')
})

t.test('watchers see remote changes once each, in clock order', async (t) => {
  const nodes = await startCluster(2, {}, 'watch')
  t.teardown(() => stopAll(nodes))
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]]
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 2), 'peers')
  const ac = new AbortController()
  const seen: string[] = []
  const done = (async () => {
    for await (const ev of b.db.watch({ table: 't1', signal: ac.signal })) {
      seen.push(`${ev.type} ${ev.key} ${text(ev.value)} ${ev.owner} ${ev.ltime}`)
    }
  })()
  a.db.createEntry('t1', 'net1', 'k', bytes('1'))
  a.db.createEntry('t2', 'net1', 'other-table', bytes('1'))
  a.db.updateEntry('t1', 'net1', 'k', bytes('2'))
  a.db.deleteEntry('t1', 'net1', 'k')
  await waitFor(() => seen.length >= 3, 'three events')
  await new Promise((r) => setTimeout(r, 300))
  ac.abort()
  await done
  t.same(seen, ['create k 1 watch-0 1', 'update k 2 watch-0 3', 'delete k 2 watch-0 4'])
})

t.test('tombstones are reaped on every node on schedule', async (t) => {
  const nodes = await startCluster(3, { reapEntryIntervalMs: 1_500, reapPeriodMs: 100 }, 'reap')
  t.teardown(() => stopAll(nodes))
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 3), 'peers')
  const [a] = nodes as [(typeof nodes)[0]]
  a.db.createEntry('t1', 'net1', 'k', bytes('v'))
  await waitFor(() => nodes.every((n) => count(n) === 1), 'created everywhere')
  a.db.deleteEntry('t1', 'net1', 'k')
  const walked = (n: (typeof nodes)[0]): number => {
    let c = 0
    n.db.walk('t1', () => void c++)
    return c
  }
  await waitFor(() => nodes.every((n) => count(n) === 0 && walked(n) === 1), 'tombstone everywhere')
  await waitFor(() => nodes.every((n) => walked(n) === 0), 'reaped everywhere')
  t.pass('reaped on every node')
})

t.test('upstream relay mode: every change is re-gossiped and still converges', async (t) => {
  const nodes = await startCluster(4, { relay: 'gossip', fanout: 0, gossipIntervalMs: 50 }, 'relay')
  t.teardown(() => stopAll(nodes))
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 4), 'peers')
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]]
  for (let i = 0; i < 40; i++) a.db.createEntry('t1', 'net1', `k${i}`, bytes('v'))
  b.db.createEntry('t1', 'net1', 'from-b', bytes('v'))
  await waitFor(() => nodes.every((n) => count(n) === 41), 'all have 41')
  await waitFor(
    () => nodes.slice(1).some((n) => n.db.cluster.stats.tableBytesSent > 0),
    'a receiver re-gossiped',
  )
  t.pass('converged with rebroadcasts')
})

t.test('a watcher sees each version of a busy key once, in clock order', async (t) => {
  const nodes = await startCluster(2, {}, 'order')
  t.teardown(() => stopAll(nodes))
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]]
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 2), 'peers')
  const ac = new AbortController()
  const times: number[] = []
  const done = (async () => {
    for await (const ev of b.db.watch({ key: 'hot', signal: ac.signal })) times.push(ev.ltime)
  })()
  a.db.createEntry('t1', 'net1', 'hot', bytes('0'))
  for (let i = 1; i <= 50; i++) a.db.updateEntry('t1', 'net1', 'hot', bytes(String(i)))
  await waitFor(
    () => b.db.getTable('t1', 'net1').some((e) => e.key === 'hot' && text(e.value) === '50'),
    'last version',
  )
  ac.abort()
  await done
  t.ok(times.length >= 1 && times.length <= 51, `${times.length} events`)
  t.ok(
    times.every((x, i) => i === 0 || x > times[i - 1]!),
    'strictly increasing clocks: no duplicate, no reordering',
  )
  t.equal(times.at(-1), a.db.getEntry('t1', 'net1', 'hot').ltime, 'ends at the last version')
})
