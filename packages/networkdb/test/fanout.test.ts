import t from 'tap'
import fc from 'fast-check'
import { groups } from '../src/fanout.js'
import { bytes } from './fixtures/helpers.js'
import { FAST, count, startCluster, startNode, stopAll, waitFor } from './fixtures/cluster.js'

t.test('groups cover every member exactly once, with at most fanout heads', async (t) => {
  fc.assert(
    fc.property(
      fc.uniqueArray(fc.string({ minLength: 1, maxLength: 4 }), { maxLength: 30 }),
      fc.string({ minLength: 1 }),
      fc.integer({ min: 0, max: 5 }),
      (members, owner, fanout) => {
        const g = groups(members, owner, fanout)
        const flat = g.flat().sort()
        const heads = fanout > 0 ? fanout : members.length
        return (
          JSON.stringify(flat) === JSON.stringify([...members].sort()) &&
          g.length === Math.min(heads, members.length) &&
          g.every((x) => x.length > 0) &&
          JSON.stringify(groups([...members].reverse(), owner, fanout)) === JSON.stringify(g)
        )
      },
    ),
  )
  t.same(groups(['b', 'a'], 'o', 3), [['a'], ['b']], 'small networks: direct to each')
})

t.test('six nodes: the writer sends 3 copies and every member gets each packet once', async (t) => {
  const nodes = await startCluster(6, {}, 'fan')
  t.teardown(() => stopAll(nodes))
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 6), 'peers')
  const [w, ...rest] = nodes as [(typeof nodes)[0], ...typeof nodes]
  const base = rest.map((n) => n.db.cluster.stats.tableBytesReceived)
  const sent0 = w.db.cluster.stats.tableBytesSent
  for (let i = 0; i < 300; i++) w.db.createEntry('t1', 'net1', `k${i}`, bytes('x'.repeat(100)))
  await waitFor(() => rest.every((n) => count(n) === 300), 'all members have 300')
  const got = rest.map((n, i) => n.db.cluster.stats.tableBytesReceived - base[i]!)
  t.equal(new Set(got).size, 1, `every member received the same bytes once: ${got.join(',')}`)
  t.equal(w.db.cluster.stats.tableBytesSent - sent0, 3 * got[0]!, 'the writer sent three copies')
})

t.test('a member that does not forward (a Go node) gets its own copy', async (t) => {
  const nodes = await startCluster(5, {}, 'mix')
  const goLike = await startNode('mix-go', {}, FAST, false)
  nodes.push(goLike)
  t.teardown(() => stopAll(nodes))
  await goLike.db.join([nodes[0]!.address])
  await waitFor(() => nodes.every((n) => n.m.alive().length === 5), 'membership')
  t.notOk(nodes[0]!.m.forwards('mix-go'), 'seen as a non-forwarder')
  t.ok(nodes[0]!.m.forwards('mix-1'), 'our nodes forward')
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 6), 'peers')
  const [w, ...rest] = nodes as [(typeof nodes)[0], ...typeof nodes]
  const base = rest.map((n) => n.db.cluster.stats.tableBytesReceived)
  const sent0 = w.db.cluster.stats.tableBytesSent
  for (let i = 0; i < 300; i++) w.db.createEntry('t1', 'net1', `k${i}`, bytes('x'.repeat(100)))
  await waitFor(() => rest.every((n) => count(n) === 300), 'all members have 300')
  const got = rest.map((n, i) => n.db.cluster.stats.tableBytesReceived - base[i]!)
  t.equal(new Set(got).size, 1, `every member received the same bytes once: ${got.join(',')}`)
  t.equal(w.db.cluster.stats.tableBytesSent - sent0, 4 * got[0]!, '3 group heads + 1 direct')
})
