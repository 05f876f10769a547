import t from 'tap'
import { LocalDB, type WatchEvent } from '../src/index.js'
import { bytes, caught, caughtAsync, fakeClock, text } from './fixtures/helpers.js'

async function db(opts = {}): Promise<LocalDB> {
  const d = new LocalDB({ nodeId: 'node-a', ...opts })
  await d.joinNetwork('net1')
  return d
}

t.test('create, get, update, delete with owner and Lamport time', async (t) => {
  const d = await db()
  d.createEntry('t1', 'net1', 'k', bytes('v1'))
  const e1 = d.getEntry('t1', 'net1', 'k')
  t.equal(text(e1.value), 'v1')
  t.equal(e1.owner, 'node-a')
  t.equal(e1.ltime, 1)
  d.updateEntry('t1', 'net1', 'k', bytes('v2'))
  t.equal(text(d.getEntry('t1', 'net1', 'k').value), 'v2')
  t.equal(d.getEntry('t1', 'net1', 'k').ltime, 2)
  d.deleteEntry('t1', 'net1', 'k')
  t.equal(caught(() => d.getEntry('t1', 'net1', 'k'))?.code, 'networkdb.entry-not-found')
  t.same(d.getTable('t1', 'net1'), [])
  // a deleted key can be created again
  d.createEntry('t1', 'net1', 'k', bytes('v3'))
  t.equal(d.getEntry('t1', 'net1', 'k').ltime, 4)
})

t.test('bad input gets typed errors and leaves state unchanged', async (t) => {
  const d = await db()
  d.createEntry('t1', 'net1', 'k', bytes('v1'))
  const before = JSON.stringify(d.getTable('t1', 'net1'))
  const dup = caught(() => d.createEntry('t1', 'net1', 'k', bytes('x')))
  t.equal(dup?.category, 'conflict')
  t.equal(dup?.code, 'networkdb.entry-exists')
  t.equal(caught(() => d.updateEntry('t1', 'net1', 'nope', bytes('x')))?.category, 'not-found')
  t.equal(caught(() => d.deleteEntry('t1', 'net1', 'nope'))?.category, 'not-found')
  t.equal(
    caught(() => d.createEntry('t1', 'net2', 'k', bytes('x')))?.code,
    'networkdb.network-not-joined',
  )
  t.equal(caught(() => d.createEntry('', 'net1', 'k', bytes('x')))?.category, 'bad-request')
  t.equal(caught(() => d.createEntry('t1', 'net1', '', bytes('x')))?.category, 'bad-request')
  t.equal(
    caught(() => d.createEntry('t1', 'net1', 'k2', 'str' as unknown as Uint8Array))?.code,
    'networkdb.bad-value',
  )
  t.equal(
    (await caughtAsync(() => d.joinNetwork('net1')))?.code,
    'networkdb.network-already-joined',
  )
  t.equal((await caughtAsync(() => d.leaveNetwork('net9')))?.category, 'not-found')
  t.equal(caught(() => new LocalDB({ reapEntryIntervalMs: -1 }))?.code, 'networkdb.bad-option')
  t.equal(JSON.stringify(d.getTable('t1', 'net1')), before)
  t.equal(d.getEntry('t1', 'net1', 'k').ltime, 1, 'clock did not move on failures')
})

t.test('values are copied in', async (t) => {
  const d = await db()
  const v = bytes('abc')
  d.createEntry('t1', 'net1', 'k', v)
  v[0] = 0x7a
  t.equal(text(d.getEntry('t1', 'net1', 'k').value), 'abc')
})

t.test('tombstones are walked and reaped after the reap interval', async (t) => {
  const clock = fakeClock()
  const d = await db({ now: clock.now, reapEntryIntervalMs: 10_000 })
  d.createEntry('t1', 'net1', 'a', bytes('1'))
  d.createEntry('t1', 'net1', 'b', bytes('2'))
  d.deleteEntry('t1', 'net1', 'a')
  clock.advance(4_000)
  const seen: [string, boolean, number][] = []
  d.walk('t1', (e) => void seen.push([e.key, e.deleting, e.reapInMs]))
  t.same(seen, [
    ['a', true, 6_000],
    ['b', false, 0],
  ])
  d.reap()
  t.equal(countWalk(d), 2, 'not reaped before its time')
  clock.advance(6_000)
  d.reap()
  t.equal(countWalk(d), 1, 'reaped at its time')
  let visits = 0
  d.createEntry('t1', 'net1', 'c', bytes('3'))
  d.walk('t1', () => {
    visits++
    return true
  })
  t.equal(visits, 1, 'walk stops when the callback returns true')
})

function countWalk(d: LocalDB): number {
  let n = 0
  d.walk('t1', () => void n++)
  return n
}

t.test('leaving a network tombstones own entries and lists', async (t) => {
  const d = await db()
  await d.joinNetwork('net2')
  d.createEntry('t1', 'net1', 'k', bytes('v'))
  t.same(d.networks().sort(), ['net1', 'net2'])
  t.same(d.networkPeers('net1'), ['node-a'])
  t.same(d.networkStats('net1'), { entries: 1, peers: 1 })
  await d.leaveNetwork('net1')
  t.same(d.networks(), ['net2'])
  t.same(d.networkPeers('net1'), [])
  t.equal(caught(() => d.getEntry('t1', 'net1', 'k'))?.category, 'not-found')
  t.same(d.clusterPeers(), [{ name: 'node-a', status: 'active' }])
  await d.joinNetwork('net1')
  t.same(d.getTable('t1', 'net1'), [])
})

t.test('watch sees local changes in order, filtered, once each', async (t) => {
  const d = await db()
  await d.joinNetwork('net2')
  const all = d.watch()
  const onlyK = d.watch({ table: 't1', network: 'net1', key: 'k' })
  d.createEntry('t1', 'net1', 'k', bytes('1'))
  d.createEntry('t2', 'net2', 'x', bytes('2'))
  d.updateEntry('t1', 'net1', 'k', bytes('3'))
  d.deleteEntry('t1', 'net1', 'k')
  const take = async (it: AsyncIterator<WatchEvent>, n: number): Promise<string[]> => {
    const out: string[] = []
    for (let i = 0; i < n; i++) {
      const r = await it.next()
      out.push(
        `${r.value.type}:${r.value.table}/${r.value.key}=${text(r.value.value)}@${r.value.ltime}`,
      )
    }
    return out
  }
  t.same(await take(all, 4), [
    'create:t1/k=1@1',
    'create:t2/x=2@2',
    'update:t1/k=3@3',
    'delete:t1/k=3@4',
  ])
  t.same(await take(onlyK, 3), ['create:t1/k=1@1', 'update:t1/k=3@3', 'delete:t1/k=3@4'])
  await all.return!()
  t.same(await all.next(), { value: undefined, done: true })
})

t.test('a slow watcher overflows visibly without blocking the database', async (t) => {
  const d = await db()
  const w = d.watch({ maxQueue: 3 })
  for (let i = 0; i < 5; i++) d.createEntry('t1', 'net1', `k${i}`, bytes('v'))
  t.equal(d.getTable('t1', 'net1').length, 5, 'writes went through')
  const got: string[] = []
  const err = await caughtAsync(async () => {
    for await (const ev of w) got.push(ev.key)
  })
  t.same(got, ['k0', 'k1', 'k2'], 'queued events are delivered first')
  t.equal(err?.code, 'networkdb.watch-overflow')
  t.equal(caught(() => d.watch({ maxQueue: 0 }))?.code, 'networkdb.bad-watch')
})

t.test('watch ends when its signal aborts', async (t) => {
  const d = await db()
  const ac = new AbortController()
  const w = d.watch({ signal: ac.signal })
  const pending = w.next()
  ac.abort()
  t.same(await pending, { value: undefined, done: true })
  const pre = new AbortController()
  pre.abort()
  t.same(await d.watch({ signal: pre.signal }).next(), { value: undefined, done: true })
})
