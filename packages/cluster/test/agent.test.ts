// The agent over real UDP/TCP on loopback: membership, peers retried until they come up,
// the ClusterTables contract on NetworkDB, encryption, bad input.
import t from 'tap'
import { BadRequestError, IP } from '@libnetwork/types'
import type { TableEvent } from '@libnetwork/driverapi'
import { ClusterAgent } from '../src/index.js'
import { LOOPBACK, agent, alive, freePort, until } from './helpers.js'

const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

t.test('bad configuration is a typed error from the constructor', async (t) => {
  const cases: [object, string][] = [
    [{ join: ['not-an-ip:7946'] }, 'join'],
    [{ join: ['10.0.0.1:99999'] }, 'join'],
    [{ join: [7946] }, 'join'],
    [{ port: 70000 }, 'port'],
    [{ port: 1.5 }, 'port'],
    [{ keys: [new Uint8Array(7)] }, 'keys'],
    [{ nodeName: '' }, 'nodeName'],
    [{ nodeName: 'a b' }, 'nodeName'],
    [{ bindAddress: '127.0.0.1' }, 'bindAddress'],
    [{ advertiseAddress: IP.parse('0.0.0.0') }, 'advertiseAddress'],
    [{ retry: { initialMs: 0 } }, 'retry.initialMs'],
    [{ retry: { initialMs: 100, maxMs: 10 } }, 'retry.maxMs'],
  ]
  for (const [cfg, field] of cases) {
    let err: unknown
    try {
      new ClusterAgent({ bindAddress: LOOPBACK, ...cfg })
    } catch (e) {
      err = e
    }
    t.ok(BadRequestError.isInstance(err), `${JSON.stringify(cfg)}: BadRequestError`)
    t.equal((err as BadRequestError).code, 'cluster.bad-config')
    t.equal((err as BadRequestError).details.field, field)
  }
})

t.test('defaults: port 7946, a 12-hex node name, advertise = bind', async (t) => {
  const a = new ClusterAgent({ bindAddress: LOOPBACK })
  t.match(a.nodeName, /^[0-9a-f]{12}$/)
  t.equal(a.advertiseAddress, '127.0.0.1')
  t.not(new ClusterAgent({ bindAddress: LOOPBACK }).nodeName, a.nodeName)
  t.throws(() => a.port, { code: 'cluster.not-running' }, 'no port before start')
  t.doesNotThrow(
    () => new ClusterAgent({ bindAddress: LOOPBACK, retry: { initialMs: 60_000 } }),
    'a first delay above the default cap raises the cap',
  )
})

t.test('operations need a running agent; a stopped one does not start again', async (t) => {
  const a = await agent(t, {}, false)
  await t.rejects(a.joinNetwork('n1'), { code: 'cluster.not-running', category: 'unavailable' })
  await t.rejects(a.put('t', 'n1', 'k', bytes('v')), { code: 'cluster.not-running' })
  await a.start()
  await a.stop()
  await t.rejects(a.start(), { code: 'cluster.stopped', category: 'conflict' })
  await t.rejects(a.leaveNetwork('n1'), { code: 'cluster.not-running' })
})

t.test('two agents: members, tables, watch, join counting', async (t) => {
  const a = await agent(t, { nodeName: 'node-a' })
  const b = await agent(t, { nodeName: 'node-b', join: [a.address] })
  t.same(b.peers(), [{ peer: a.address, state: 'joined', attempts: 1 }])
  await until('both alive on both', () => alive(a).length === 2 && alive(b).length === 2)
  t.same(
    a.members().map((m) => [m.name, m.state, m.self, m.address.toString()]),
    [
      ['node-a', 'alive', true, '127.0.0.1'],
      ['node-b', 'alive', false, '127.0.0.1'],
    ],
  )

  const seen: TableEvent[] = []
  const w = b.watch('t1')
  const reading = (async () => {
    for await (const ev of w) seen.push(ev)
  })()

  await a.joinNetwork('n1')
  await a.joinNetwork('n1') // counted
  await b.joinNetwork('n1')
  t.same(a.networks(), [{ networkId: 'n1', joins: 2 }])
  await a.put('t1', 'n1', 'k1', bytes('v1'))
  await until('b sees k1', () => b.entries('t1', 'n1').length === 1)
  t.same(
    b.entries('t1', 'n1').map((e) => [e.key, text(e.value), e.owner, e.local]),
    [['k1', 'v1', 'node-a', false]],
  )
  t.same(
    a.entries('t1', 'n1').map((e) => e.local),
    [true],
  )
  await a.put('t1', 'n1', 'k1', bytes('v2')) // put again: an update
  await until('b sees v2', () => text(b.entries('t1', 'n1')[0]?.value ?? bytes('')) === 'v2')
  await a.delete('t1', 'n1', 'k1')
  await a.delete('t1', 'n1', 'k1') // missing: no error
  await a.delete('t1', 'n1', 'never-was')
  await until('b sees the delete', () => b.entries('t1', 'n1').length === 0)
  await until('three events', () => seen.length === 3)
  t.same(
    seen.map((e) => [e.type, e.table, e.networkId, e.key, text(e.value), e.owner, e.local]),
    [
      ['create', 't1', 'n1', 'k1', 'v1', 'node-a', false],
      ['update', 't1', 'n1', 'k1', 'v2', 'node-a', false],
      ['delete', 't1', 'n1', 'k1', 'v2', 'node-a', false],
    ],
  )

  // b does not delete a's entry (only its own).
  await a.put('t1', 'n1', 'k2', bytes('x'))
  await until('b sees k2', () => b.entries('t1', 'n1').length === 1)
  await b.delete('t1', 'n1', 'k2')
  t.equal(a.entries('t1', 'n1').length, 1, "a's entry stays")

  // One leave of two joins keeps the group; the second leaves it and withdraws a's entries.
  await a.leaveNetwork('n1')
  t.same(a.networks(), [{ networkId: 'n1', joins: 1 }])
  t.equal(b.entries('t1', 'n1').length, 1)
  await a.leaveNetwork('n1')
  t.same(a.networks(), [])
  await until('b dropped k2', () => b.entries('t1', 'n1').length === 0)
  await t.rejects(a.leaveNetwork('n1'), {
    code: 'cluster.network-not-joined',
    category: 'not-found',
  })
  await t.rejects(a.put('t1', 'n1', 'k3', bytes('x')), {
    code: 'networkdb.network-not-joined',
    category: 'not-found',
  })
  await t.rejects(a.put('', 'n1', 'k3', bytes('x')), {
    code: 'networkdb.bad-table',
    category: 'bad-request',
  })

  w.close()
  await reading
  t.pass('the watch ended on close')
})

t.test('a bad network id leaves the join count unchanged', async (t) => {
  const a = await agent(t)
  await t.rejects(a.joinNetwork(''), { code: 'networkdb.bad-network', category: 'bad-request' })
  t.same(a.networks(), [])
})

t.test('a peer that is not up yet is retried until it is', async (t) => {
  const port = await freePort()
  const b = await agent(t, {
    nodeName: 'late-b',
    join: [`127.0.0.1:${port}`],
    retry: { initialMs: 50, maxMs: 200 },
  })
  const [p] = b.peers()
  t.equal(p?.state, 'retrying')
  t.ok((p?.attempts ?? 0) >= 1)
  t.type(p?.lastError, 'string')
  await until('a second attempt', () => (b.peers()[0]?.attempts ?? 0) >= 2)
  const a = await agent(t, { nodeName: 'late-a', port })
  await until('b joined a', () => b.peers()[0]?.state === 'joined')
  await until('both alive', () => alive(a).length === 2 && alive(b).length === 2)
  t.same(alive(b), ['late-a', 'late-b'])
})

t.test('this host in its own peer list is not joined', async (t) => {
  const port = await freePort()
  const a = await agent(t, { port, join: [`127.0.0.1:${port}`] })
  t.same(a.peers(), [{ peer: `127.0.0.1:${port}`, state: 'self', attempts: 0 }])
})

t.test('member changes are reported; a graceful stop is a leave', async (t) => {
  const a = await agent(t, { nodeName: 'ev-a' })
  const changes: string[] = []
  const off = a.onMemberChange((c) => changes.push(`${c.type}:${c.member.name}:${c.member.state}`))
  const b = await agent(t, { nodeName: 'ev-b', join: [a.address] })
  await until('join seen', () => changes.includes('join:ev-b:alive'))
  await b.stop()
  await until('leave seen', () => changes.includes('leave:ev-b:left'))
  t.equal(a.members().find((m) => m.name === 'ev-b')?.state, 'left')
  off()
})

t.test('encryption: the same key joins, another key is kept out', async (t) => {
  const k1 = new Uint8Array(16).fill(1)
  const k2 = new Uint8Array(16).fill(2)
  const warnings: { msg: string; fields?: Record<string, unknown> }[] = []
  const logger = {
    debug() {},
    info() {},
    warn: (msg: string, fields?: Record<string, unknown>) => void warnings.push({ msg, fields }),
    error() {},
  }
  const a = await agent(t, { nodeName: 'enc-a', keys: [k1], logger })
  const b = await agent(t, { nodeName: 'enc-b', keys: [k1], join: [a.address] })
  t.equal(b.peers()[0]?.state, 'joined')
  const c = await agent(t, {
    nodeName: 'enc-c',
    keys: [k2],
    join: [a.address],
    retry: { initialMs: 60_000, maxMs: 60_000 },
  })
  t.equal(c.peers()[0]?.state, 'retrying', 'wrong key: not joined')
  const d = await agent(t, {
    nodeName: 'enc-d',
    join: [a.address],
    retry: { initialMs: 60_000, maxMs: 60_000 },
  })
  t.equal(d.peers()[0]?.state, 'retrying', 'no key: not joined')
  await until('a and b see each other', () => alive(a).length === 2)
  t.same(alive(a), ['enc-a', 'enc-b'])
  t.same(alive(c), ['enc-c'])
  t.match(c.peers()[0]?.lastError, /127\.0\.0\.1:\d+: .+/, 'the reason, per seed')
  // The host that was knocked at says so in its log, with the reasons.
  t.ok(Object.keys(a.rejectedPackets()).length > 0, 'a counted rejected input')
  await until('a logs the rejected input', () =>
    warnings.some((w) => w.msg === 'cluster: rejected gossip input'),
  )
  t.match(warnings.find((w) => w.msg === 'cluster: rejected gossip input')?.fields, {
    reasons: {},
    hint: /another encryption key, or none/,
  })
})

t.test('the diagnostic server: off by default, on loopback when configured', async (t) => {
  const off = await agent(t)
  t.equal(off.diagnosticUrl, undefined)
  const a = await agent(t, { nodeName: 'diag-a', diagnostic: { port: 0 } })
  t.match(a.diagnosticUrl, /^http:\/\/127\.0\.0\.1:\d+$/)
  const res = await fetch(`${a.diagnosticUrl}/clusterpeers`)
  t.equal(res.status, 200)
  t.match(await res.text(), /diag-a/)
  const port = Number(new URL(a.diagnosticUrl!).port)
  const b = await agent(t, { diagnostic: { port } }, false)
  await t.rejects(b.start(), { code: 'cluster.diagnostic-port', category: 'conflict' })
  t.throws(() => new ClusterAgent({ bindAddress: LOOPBACK, diagnostic: { port: -1 } }), {
    code: 'cluster.bad-config',
  })
  await a.stop()
  await t.rejects(fetch(`${a.diagnosticUrl}/ready`), 'closed with the agent')
})
