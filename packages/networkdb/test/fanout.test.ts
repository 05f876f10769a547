import t, { type Test } from 'tap'
import fc from 'fast-check'
import { groups } from '../src/fanout.js'
import type { State } from '../src/state.js'
import { bytes } from './fixtures/helpers.js'
import { FAST, count, startCluster, startNode, stopAll, waitFor } from './fixtures/cluster.js'

/** `state` is internal to NetworkDB; the test reads whether its join-time syncs ended. */
type Internal = { state: State }
const WINDOWS = 8

type Node = Awaited<ReturnType<typeof startCluster>>[number]

/**
 * The writer creates 300 entries in a fresh table; what each member received as table packets
 * and what the writer sent, once every member has them. Bulk syncs run in the background of
 * a loaded machine (join-time syncs and their resends, syncs with members back from a false
 * suspicion); one that carries some of these entries makes members learn them from it and
 * re-gossip them, so the byte counts no longer show the fan-out alone. Such a window is
 * discarded and the write repeated in a new table, up to WINDOWS times: a fan-out that sends
 * duplicates or misses a member fails every window.
 */
async function measure(
  t: Test,
  w: Node,
  rest: Node[],
  copies: number,
): Promise<{ got: number[]; sent: number }> {
  // join-time syncs (and their resends) end first
  await waitFor(
    () => [w, ...rest].every((n) => (n.db as unknown as Internal).state.ownNetwork('net1')?.inSync),
    'every join-time bulk sync has ended',
    60_000,
  )
  for (let round = 1; ; round++) {
    const table = `t${round}`
    const base = rest.map((n) => n.db.cluster.stats.tableBytesReceived)
    const sent0 = w.db.cluster.stats.tableBytesSent
    for (let i = 0; i < 300; i++) w.db.createEntry(table, 'net1', `k${i}`, bytes('x'.repeat(100)))
    await waitFor(() => rest.every((n) => count(n, table) === 300), 'all members have 300')
    const got = rest.map((n, i) => n.db.cluster.stats.tableBytesReceived - base[i]!)
    const sent = w.db.cluster.stats.tableBytesSent - sent0
    const bulk = rest.some((n) => n.db.cluster.stats.bulkBytesReceived > 0)
    const clean = new Set(got).size === 1 && sent === copies * got[0]!
    if (clean || !bulk || round === WINDOWS) return { got, sent }
    t.comment(`window ${round}: bulk syncs meanwhile, ${got.join(',')} B received; again`)
  }
}

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
  const { got, sent } = await measure(t, w, rest, 3)
  t.equal(new Set(got).size, 1, `every member received the same bytes once: ${got.join(',')}`)
  t.equal(sent, 3 * got[0]!, 'the writer sent three copies')
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
  const { got, sent } = await measure(t, w, rest, 4)
  t.equal(new Set(got).size, 1, `every member received the same bytes once: ${got.join(',')}`)
  t.equal(sent, 4 * got[0]!, '3 group heads + 1 direct')
})
