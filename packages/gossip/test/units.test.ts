import t from 'tap'
import { IP } from '@libnetwork/types'
import {
  TransmitLimitedQueue,
  Suspicion,
  suspicionTimeout,
  parseAddress,
  Gossip,
  gossipDefaults,
} from '../src/index.js'

const msg = (n: number, len = 10) => new Uint8Array(len).fill(n)

t.test('TransmitLimitedQueue: limit, ordering, invalidation, byte budget', (t) => {
  let nodes = 10
  const q = new TransmitLimitedQueue({ numNodes: () => nodes, retransmitMult: 4 })
  t.equal(q.retransmitLimit(), 8, '4 × ceil(log10(11))')
  nodes = 0
  t.equal(q.retransmitLimit(), 4, 'at least one round of mult')
  nodes = 1
  const finished: string[] = []
  q.queueBroadcast({ message: msg(1), name: 'a', finished: () => finished.push('a1') })
  q.queueBroadcast({ message: msg(2), name: 'b', finished: () => finished.push('b') })
  q.queueBroadcast({ message: msg(3), name: 'a', finished: () => finished.push('a2') })
  t.same(finished, ['a1'], 'same name replaces the older broadcast')
  t.equal(q.length, 2)
  // budget for one message only: newest first among equals
  t.same(q.getBroadcasts(2, 12), [msg(3)])
  // now b has fewer transmits and goes first
  t.same(q.getBroadcasts(2, 12), [msg(2)])
  for (let i = 0; i < 10; i++) q.getBroadcasts(2, 100)
  t.equal(q.length, 0, 'dropped after the transmit limit')
  t.same(finished.sort(), ['a1', 'a2', 'b'])
  t.same(q.getBroadcasts(2, 100), [])
  for (let i = 0; i < 20; i++) q.queueBroadcast({ message: msg(i) })
  q.prune(5)
  t.equal(q.length, 5)
  t.same(q.getBroadcasts(0, 1000).length, 5)
  t.end()
})

t.test('suspicion timeout: memberlist scaling', (t) => {
  t.equal(suspicionTimeout(4, 1, 1000), 4000)
  t.equal(suspicionTimeout(4, 10, 1000), 4000)
  t.equal(suspicionTimeout(4, 100, 1000), 8000)
  t.equal(suspicionTimeout(4, 1000, 500), 6000)
  // k = 3 expected confirmations, min 1000, max 6000
  t.equal(Suspicion.remainingTimeout(0, 3, 0, 1000, 6000), 6000)
  t.equal(Suspicion.remainingTimeout(1, 3, 0, 1000, 6000), 3500)
  t.equal(Suspicion.remainingTimeout(3, 3, 0, 1000, 6000), 1000)
  t.equal(Suspicion.remainingTimeout(3, 3, 400, 1000, 6000), 600)
  t.end()
})

t.test('Suspicion: confirmations shorten the timer to min', async (t) => {
  const start = Date.now()
  const fired = await new Promise<number>((resolve) => {
    const s = new Suspicion('a', 2, 100, 5000, () => resolve(Date.now() - start))
    t.equal(s.confirm('a'), false, 'the accuser does not confirm itself')
    t.equal(s.confirm('b'), true)
    t.equal(s.confirm('b'), false, 'duplicates ignored')
    t.equal(s.confirm('c'), true)
    t.equal(s.confirm('d'), false, 'no more than k')
  })
  t.ok(fired < 2000, `fired near min, not max (${fired} ms)`)
  const never = new Suspicion('a', 0, 50, 100, () => t.fail('cancelled timer fired'))
  never.cancel()
  await new Promise((r) => setTimeout(r, 120))
})

t.test('parseAddress', (t) => {
  t.same(parseAddress('127.0.0.1:7000'), { ip: IP.parse('127.0.0.1'), port: 7000 })
  t.same(parseAddress('10.0.0.1'), { ip: IP.parse('10.0.0.1'), port: 7946 })
  t.equal(parseAddress('[::1]:8000').ip.toString(), '::1')
  for (const bad of ['', 'host:1', '1.2.3.4:99999', '1.2.3:5', '[::1']) {
    t.throws(() => parseAddress(bad), { code: 'gossip-address' }, bad)
  }
  t.end()
})

t.test('configuration is validated at construction', (t) => {
  t.throws(() => new Gossip({ name: '' }), { code: 'gossip-config' })
  const bad: [string, unknown][] = [
    ['probeInterval', 0],
    ['probeTimeout', 5000],
    ['gossipNodes', -1],
    ['udpBufferSize', 10],
    ['suspicionMult', Number.NaN],
    ['label', 'x'.repeat(300)],
  ]
  for (const [field, value] of bad) {
    t.throws(
      () => new Gossip({ name: 'n', [field]: value }),
      { code: 'gossip-config', details: { field } },
      field,
    )
  }
  t.equal(gossipDefaults.probeInterval, 1000)
  t.equal(gossipDefaults.probeTimeout, 500)
  t.equal(gossipDefaults.gossipInterval, 200)
  t.equal(gossipDefaults.pushPullInterval, 30_000)
  t.equal(gossipDefaults.udpBufferSize, 1400)
  t.end()
})
