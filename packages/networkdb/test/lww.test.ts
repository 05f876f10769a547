// One value per key among our nodes: concurrent writers, any delivery (lost, repeated,
// reordered), then anti-entropy; every node must hold the model's version of every key:
// the highest Lamport time, and on equal times the greatest owner id.
import t from 'tap'
import fc from 'fast-check'
import type { Entry, State } from '../src/state.js'
import type { TableEvent } from '../src/index.js'
import { bytes, stateInNet1, text } from './fixtures/helpers.js'

const NODES = ['w1', 'w2', 'w3']
const KEYS = ['a', 'b', 'c']

function node(nodeId: string): State {
  return stateInNet1(
    nodeId,
    NODES.filter((n) => n !== nodeId),
  )
}

/** A local write, as LocalDB does it: next table time, this node owns the version. */
function write(s: State, key: string, value: string | null): TableEvent {
  const old = s.getEntry('net1', 't1', key)
  const e: Entry = {
    ltime: s.tableClock.increment(),
    owner: s.self,
    value: value === null ? (old?.value ?? bytes('')) : bytes(value),
    deleting: value === null,
    reapAt: value === null ? 1e12 : 0,
  }
  s.setEntry('net1', 't1', key, e)
  return s.toTableEvent('net1', 't1', key, e)
}

/** What a bulk sync from `from` carries. */
function everything(from: State): TableEvent[] {
  const out: TableEvent[] = []
  for (const [key, e] of from.entries.get('net1')?.get('t1') ?? []) {
    out.push(from.toTableEvent('net1', 't1', key, e))
  }
  return out
}

const show = (e: { ltime: number; owner: string; deleting: boolean; value: Uint8Array }) =>
  `${e.ltime}/${e.owner}/${e.deleting ? 'deleted' : text(e.value)}`

type Op =
  | { op: 'write'; node: number; key: number; value: string | null }
  | { op: 'deliver'; event: number; to: number }

t.test('every node keeps the model version of every key', async (t) => {
  const op: fc.Arbitrary<Op> = fc.oneof(
    fc.record({
      op: fc.constant('write' as const),
      node: fc.integer({ min: 0, max: NODES.length - 1 }),
      key: fc.integer({ min: 0, max: KEYS.length - 1 }),
      value: fc.option(fc.string({ maxLength: 2 }), { freq: 4 }),
    }),
    fc.record({
      op: fc.constant('deliver' as const),
      event: fc.nat(),
      to: fc.integer({ min: 0, max: NODES.length - 1 }),
    }),
  )
  fc.assert(
    fc.property(fc.array(op, { maxLength: 60 }), (ops) => {
      const nodes = NODES.map(node)
      const sent: TableEvent[] = []
      for (const o of ops) {
        if (o.op === 'write') {
          sent.push(write(nodes[o.node]!, KEYS[o.key]!, o.value))
        } else if (sent.length > 0) {
          // any event, any number of times, in any order; the rest are lost
          nodes[o.to]!.handleTableEvent(sent[o.event % sent.length]!, false)
        }
      }
      // anti-entropy: bulk syncs between every pair until nothing changes
      for (let round = 0; round < 2; round++) {
        for (const from of nodes) {
          for (const to of nodes) {
            if (from !== to) for (const ev of everything(from)) to.handleTableEvent(ev, true)
          }
        }
      }
      // the model: the greatest (ltime, owner) among all writes of a key
      for (const key of KEYS) {
        const writes = sent.filter((e) => e.key === key)
        const best = writes.reduce<TableEvent | undefined>(
          (m, e) =>
            !m || e.ltime > m.ltime || (e.ltime === m.ltime && e.nodeName > m.nodeName) ? e : m,
          undefined,
        )
        for (const n of nodes) {
          const got = n.getEntry('net1', 't1', key)
          const want = best && {
            ltime: best.ltime,
            owner: best.nodeName,
            deleting: best.type === 'delete',
            value: best.value,
          }
          if ((got ? show(got) : '-') !== (want ? show(want) : '-')) return false
        }
      }
      return true
    }),
    { numRuns: 400 },
  )
  t.pass('all nodes agree with the model')
})

t.test('equal Lamport times: the greater owner id wins on every node, in any order', async (t) => {
  const [w1, w2, w3] = NODES.map(node) as [State, State, State]
  const e1 = write(w1, 'k', 'from w1')
  const e2 = write(w2, 'k', 'from w2')
  t.equal(e1.ltime, e2.ltime, 'a concurrent write: same Lamport time')
  w1.handleTableEvent(e2, false)
  w2.handleTableEvent(e1, false)
  w3.handleTableEvent(e2, false)
  w3.handleTableEvent(e1, false)
  for (const n of [w1, w2, w3]) {
    t.equal(text(n.getEntry('net1', 't1', 'k')!.value), 'from w2', `${n.self} keeps w2's`)
  }
})
