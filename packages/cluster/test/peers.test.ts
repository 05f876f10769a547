// The peer joiner: a joined peer with no live member at its address any more (the host there
// failed; a daemon restarted there is a new node) is joined again.
import t from 'tap'
import { IP, noopLogger } from '@libnetwork/types'
import { PeerJoiner } from '../src/peers.js'
import { until } from './helpers.js'

t.test('a joined peer that is no live member any more is joined again', async (t) => {
  let alive = new Set<string>()
  const joins: string[] = []
  let up = true
  let checks = 0
  const j = new PeerJoiner({
    peers: [{ text: '10.9.0.2', address: { ip: IP.parse('10.9.0.2'), port: 7946 } }],
    self: { ip: IP.parse('10.9.0.1'), port: 7946 },
    initialMs: 20,
    maxMs: 100,
    join: (seed) => {
      joins.push(seed)
      if (!up) return Promise.reject(new Error('connection refused'))
      alive = new Set([seed])
      return Promise.resolve(1)
    },
    members: () => {
      checks++
      return [...alive]
    },
    logger: noopLogger,
  })
  t.teardown(() => j.stop())
  await j.start()
  t.same(joins, ['10.9.0.2:7946'])
  t.equal(j.status()[0]!.state, 'joined')

  // the host there fails and its daemon is not back yet: retried with backoff
  up = false
  alive = new Set()
  await until('two more attempts', () => joins.length >= 3, 30_000)
  t.equal(j.status()[0]!.state, 'retrying')
  // back (a new node at the same address): joined again, and no more attempts while it lives
  up = true
  await until('joined again', () => j.status()[0]!.state === 'joined', 30_000)
  const n = joins.length
  const c = checks
  await until('three more checks of the members', () => checks >= c + 3, 30_000)
  t.equal(joins.length, n, 'a live peer is not joined again')
})
