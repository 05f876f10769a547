import t from 'tap'
import fc from 'fast-check'
import type { State } from '../src/state.js'
import type { TableEvent } from '../src/index.js'
import { bytes, fakeClock, stateInNet1, text } from './fixtures/helpers.js'

/** Attached to net1 and in sync, with peers p1 and p2 known and in net1. */
function state(nodeId = 'me', clock = fakeClock()): State {
  return stateInNet1(nodeId, ['p1', 'p2'], clock)
}

const ev = (over: Partial<TableEvent>): TableEvent => ({
  type: 'create',
  ltime: 1,
  nodeName: 'p1',
  networkId: 'net1',
  tableName: 't1',
  key: 'k',
  value: bytes('v'),
  residualReapTime: 0,
  ...over,
})

t.test('higher clock wins, stale and own events are ignored', async (t) => {
  const s = state()
  t.ok(s.handleTableEvent(ev({ ltime: 5, value: bytes('five') }), false), 'new entry: rebroadcast')
  t.notOk(s.handleTableEvent(ev({ ltime: 4, value: bytes('four') }), false), 'stale ignored')
  t.equal(text(s.getEntry('net1', 't1', 'k')!.value), 'five')
  t.ok(s.handleTableEvent(ev({ type: 'update', ltime: 6, value: bytes('six') }), false))
  t.equal(text(s.getEntry('net1', 't1', 'k')!.value), 'six')
  t.notOk(s.handleTableEvent(ev({ nodeName: 'me', ltime: 99 }), false), 'own event')
  t.equal(s.tableClock.time, 100, 'clock witnessed every event (serf rule)')
  t.notOk(
    s.handleTableEvent(ev({ nodeName: 'stranger', ltime: 50 }), false),
    'owner not in network',
  )
  t.notOk(s.handleTableEvent(ev({ networkId: 'net2', ltime: 50 }), false), 'network not joined')
})

t.test('deletes: residual reap time travels, unknown UDP deletes are ignored', async (t) => {
  const clock = fakeClock()
  const s = state('me', clock)
  t.notOk(
    s.handleTableEvent(ev({ type: 'delete', key: 'u', ltime: 3, residualReapTime: 1800 }), false),
  )
  t.equal(s.getEntry('net1', 't1', 'u'), undefined, 'unknown delete over gossip ignored')
  t.ok(s.handleTableEvent(ev({ type: 'delete', key: 'u', ltime: 3, residualReapTime: 1800 }), true))
  t.equal(s.getEntry('net1', 't1', 'u')!.deleting, true, 'unknown delete from bulk sync kept')
  t.notOk(
    s.handleTableEvent(ev({ type: 'delete', key: 'w', ltime: 3, residualReapTime: 100 }), true),
    'nearly reaped tombstone is not rebroadcast',
  )
  s.handleTableEvent(ev({ key: 'k', ltime: 4 }), false)
  s.handleTableEvent(ev({ type: 'delete', key: 'k', ltime: 5, residualReapTime: 60 }), false)
  const e = s.getEntry('net1', 't1', 'k')!
  t.equal(e.deleting, true)
  t.equal(text(e.value), 'v', 'tombstone keeps the old value')
  t.equal(s.residualSeconds(e), 60)
  clock.advance(59_000)
  s.reap()
  t.ok(s.getEntry('net1', 't1', 'k'), 'still there before its residual time')
  clock.advance(1_000)
  s.reap()
  t.equal(s.getEntry('net1', 't1', 'k'), undefined, 'reaped with the residual time of the event')
  t.notOk(s.handleTableEvent(ev({ key: 'u', ltime: 2 }), false), 'tombstone blocks an older create')
})

t.test('a node that fails loses its entries, is retried, then reaped', async (t) => {
  const clock = fakeClock()
  const s = state('me', clock)
  s.handleTableEvent(ev({ key: 'a' }), false)
  s.handleTableEvent(ev({ key: 'b', nodeName: 'p2' }), false)
  t.ok(s.memberLeft('p1'))
  t.equal(s.getEntry('net1', 't1', 'a'), undefined)
  t.ok(s.getEntry('net1', 't1', 'b'))
  t.equal(s.nodes.get('p1')!.status, 'failed')
  t.notOk(s.networkNodes.get('net1')!.has('p1'))
  clock.advance(86_400_000 - 1)
  s.reap()
  t.equal(s.nodes.get('p1')!.status, 'failed', 'kept until the node reap interval')
  clock.advance(1)
  s.reap()
  t.equal(s.nodes.get('p1'), undefined, 'reaped after 24 h')
})

t.test('node leave event drops entries; network leave tombstones them', async (t) => {
  const s = state()
  s.handleTableEvent(ev({ key: 'a' }), false)
  s.handleTableEvent(ev({ key: 'b', nodeName: 'p2' }), false)
  t.ok(s.handleNetworkEvent({ type: 'leave', ltime: 10, nodeName: 'p2', networkId: 'net1' }))
  t.equal(s.getEntry('net1', 't1', 'b')!.deleting, true)
  t.notOk(s.handleNetworkEvent({ type: 'leave', ltime: 10, nodeName: 'p2', networkId: 'net1' }))
  t.ok(s.handleNodeEvent({ type: 'leave', ltime: 11, nodeName: 'p1' }))
  t.equal(s.getEntry('net1', 't1', 'a'), undefined)
  t.equal(s.nodes.get('p1')!.status, 'left')
  t.notOk(s.memberLeft('p1'), 'a left node is not failed when memberlist reports it gone')
  t.notOk(s.handleNodeEvent({ type: 'leave', ltime: 9, nodeName: 'p1' }), 'stale')
})

t.test('any delivery order of the same events converges to one state', async (t) => {
  const event = fc.record({
    type: fc.constantFrom<'create' | 'update' | 'delete'>('create', 'update', 'delete'),
    ltime: fc.integer({ min: 1, max: 20 }),
    nodeName: fc.constantFrom('p1', 'p2'),
    key: fc.constantFrom('a', 'b'),
    value: fc.string({ maxLength: 3 }),
  })
  fc.assert(
    fc.property(
      // a node never issues two versions with the same clock
      fc.uniqueArray(event, { maxLength: 12, selector: (e) => `${e.ltime}/${e.nodeName}` }),
      fc.integer(),
      (events, seed) => {
        const evs = events.map((e) =>
          ev({ ...e, value: bytes(e.value), residualReapTime: e.type === 'delete' ? 1800 : 0 }),
        )
        const shuffled = [...evs]
        let r = seed >>> 0
        for (let i = shuffled.length - 1; i > 0; i--) {
          r = (r * 1103515245 + 12345) >>> 0
          const j = r % (i + 1)
          ;[shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!]
        }
        const snap = (list: TableEvent[]): string => {
          const s = state()
          for (const e of list) s.handleTableEvent(e, true)
          return ['a', 'b']
            .map((k) => {
              const e = s.getEntry('net1', 't1', k)
              return e ? `${k}:${e.ltime}:${e.owner}:${e.deleting}:${text(e.value)}` : `${k}:-`
            })
            .join(' ')
        }
        return snap(evs) === snap(shuffled)
      },
    ),
    { numRuns: 300 },
  )
  t.pass('converged for every order')
})
