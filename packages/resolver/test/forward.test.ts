import t, { type Test } from 'tap'
import { IP } from '@libnetwork/types'
import { RecordTable, Resolver } from '../src/index.js'
import { FakeUpstream, encodeQuery, rcodeOf, tcp, udp, udpRaw } from './helpers.js'

async function upstream(t: Test, address: string): Promise<FakeUpstream> {
  const u = await new FakeUpstream(address).start()
  t.teardown(() => u.stop())
  return u
}

async function resolver(
  t: Test,
  upstreams: FakeUpstream[],
  extra: { timeoutMs?: number; maxConcurrent?: number } = {},
) {
  const table = new RecordTable()
  table.addHost('net', 'local', [IP.parse('10.9.0.2')])
  const r = new Resolver({
    source: table,
    address: '127.0.0.1',
    port: 0,
    upstreams: upstreams.map((u) => ({ address: '127.0.0.1', port: u.port })),
    timeoutMs: extra.timeoutMs ?? 200,
    ...(extra.maxConcurrent === undefined ? {} : { maxConcurrent: extra.maxConcurrent }),
  })
  const { port } = await r.start()
  t.teardown(() => r.stop())
  return { r, port }
}

t.test('names not owned are forwarded over UDP and TCP, ids kept', async (t) => {
  const up = await upstream(t, '192.0.2.1')
  const { r, port } = await resolver(t, [up])
  const a = await udp(port, { name: 'www.example.com', id: 4242 })
  t.equal(a.id, 4242)
  t.same(
    a.answers.map((x) => [x.name, x.data]),
    [['www.example.com', '192.0.2.1']],
  )
  const b = await tcp(port, { name: 'other.example.org', id: 99 })
  t.equal(b.id, 99)
  t.same(
    b.answers.map((x) => x.data),
    ['192.0.2.1'],
  )
  const local = await udp(port, { name: 'local' })
  t.same(
    local.answers.map((x) => x.data),
    ['10.9.0.2'],
    'owned names are not forwarded',
  )
  t.equal(up.received, 2)
  t.equal(r.stats.forwarded, 2)
})

t.test('failover: a silent server times out, a SERVFAIL one is skipped', async (t) => {
  const silent = await upstream(t, '192.0.2.1')
  silent.mode = 'silent'
  const failing = await upstream(t, '192.0.2.2')
  failing.mode = 'servfail'
  const good = await upstream(t, '192.0.2.3')
  const { port } = await resolver(t, [silent, failing, good])
  const a = await udp(port, { name: 'a.example' })
  t.same(
    a.answers.map((x) => x.data),
    ['192.0.2.3'],
  )
  t.equal([silent.received, failing.received, good.received].join(), '1,1,1')
  const b = await tcp(port, { name: 'b.example' })
  t.same(
    b.answers.map((x) => x.data),
    ['192.0.2.3'],
  )
})

t.test('all upstreams failing gives SERVFAIL', async (t) => {
  const s1 = await upstream(t, '192.0.2.1')
  s1.mode = 'silent'
  const s2 = await upstream(t, '192.0.2.2')
  s2.mode = 'servfail'
  const { r, port } = await resolver(t, [s1, s2])
  const a = await udp(port, { name: 'x.example' })
  t.equal(a.rcode, 'SERVFAIL')
  t.equal(a.questions[0]?.name, 'x.example')
  t.equal(a.id, 0x1234)
  const b = await tcp(port, { name: 'y.example' })
  t.equal(b.rcode, 'SERVFAIL')
  t.equal(r.stats.forwarded, 2, "the last server's SERVFAIL is passed on")
})

t.test('the cap on forwarded queries in flight answers SERVFAIL beyond it', async (t) => {
  const silent = await upstream(t, '192.0.2.1')
  silent.mode = 'silent'
  const { r, port } = await resolver(t, [silent], { timeoutMs: 4000, maxConcurrent: 5 })
  const replies = await Promise.all(
    Array.from({ length: 12 }, (_, i) =>
      udpRaw(port, encodeQuery({ name: `q${i}.example`, id: i }), 1500),
    ),
  )
  const answered = replies.filter((x) => x !== undefined)
  t.equal(answered.length, 7, 'queries over the cap are answered at once')
  t.ok(
    answered.every((x) => rcodeOf(x) === 2),
    'with SERVFAIL',
  )
  t.equal(silent.received, 5, 'only 5 reached the upstream')
  t.equal(r.stats.forwarded, 5)
})

t.test('setUpstreams switches servers', async (t) => {
  const a = await upstream(t, '192.0.2.10')
  const b = await upstream(t, '192.0.2.20')
  const { r, port } = await resolver(t, [a])
  t.equal((await udp(port, { name: 'n.example' })).answers[0]?.data, '192.0.2.10')
  r.setUpstreams([{ address: '127.0.0.1', port: b.port }])
  t.equal((await udp(port, { name: 'n.example' })).answers[0]?.data, '192.0.2.20')
  r.setUpstreams([])
  t.equal((await udp(port, { name: 'n.example' })).rcode, 'SERVFAIL')
})

t.test(
  "an upstream's truncated UDP answer reaches the client, which retries over TCP",
  async (t) => {
    const up = await upstream(t, '192.0.2.77')
    up.mode = 'truncate-udp'
    const { port } = await resolver(t, [up])
    const overUdp = await udp(port, { name: 'big.example' })
    t.ok(overUdp.raw.readUInt16BE(2) & 0x0200, 'TC passed on')
    t.same(overUdp.answers, [])
    const overTcp = await tcp(port, { name: 'big.example' })
    t.same(
      overTcp.answers.map((a) => a.data),
      ['192.0.2.77'],
    )
  },
)
