// The compliance suite: one set of tests that every KVStore backend must pass.
import type { Test } from 'tap'
import { LibnetworkError } from '@libnetwork/types'
import type { KVStore, WatchEvent } from '../src/index.js'
import { RecordStore, jsonCodec } from '../src/index.js'

export interface Backend {
  name: string
  /** A fresh store with maxValueBytes set to 4096; the suite closes it. */
  open(): Promise<KVStore>
}

const enc = (s: string): Uint8Array => new TextEncoder().encode(s)
const dec = (b: Uint8Array | undefined): string | undefined =>
  b === undefined ? undefined : new TextDecoder().decode(b)

async function rejectsWith(
  t: Test,
  p: Promise<unknown>,
  category: string,
  code: string,
): Promise<LibnetworkError> {
  try {
    await p
  } catch (err) {
    t.ok(LibnetworkError.isInstance(err), `${code}: a LibnetworkError`)
    const e = err as LibnetworkError
    t.equal(e.category, category, `${code}: category`)
    t.equal(e.code, code, `${code}: code`)
    return e
  }
  t.fail(`expected ${category}/${code}`)
  throw new Error('did not reject')
}

/** Collect `n` events from a watch (the watch is closed afterwards). */
async function take(iter: AsyncIterable<WatchEvent>, n: number): Promise<WatchEvent[]> {
  const out: WatchEvent[] = []
  if (n === 0) return out
  for await (const ev of iter) {
    out.push(ev)
    if (out.length === n) break
  }
  return out
}

export function compliance(t: Test, backend: Backend): void {
  let store: KVStore
  t.before(async () => {
    store = await backend.open()
  })
  t.teardown(async () => {
    await store.close()
  })

  t.test('get, put and versions', async (t) => {
    t.equal(await store.get('c/get/a'), undefined)
    const v1 = await store.put('c/get/a', enc('one'))
    t.ok(Number.isSafeInteger(v1) && v1 > 0, 'version is a positive integer')
    const got = await store.get('c/get/a')
    t.equal(got?.key, 'c/get/a')
    t.equal(dec(got?.value), 'one')
    t.equal(got?.version, v1)
    const v2 = await store.put('c/get/a', enc('two'))
    t.ok(v2 > v1, 'versions grow')
    t.equal(dec((await store.get('c/get/a'))?.value), 'two')
    await store.put('c/get/empty', new Uint8Array(0))
    t.equal((await store.get('c/get/empty'))?.value.byteLength, 0, 'empty values are kept')
  })

  t.test('atomicPut: create, swap, stale version', async (t) => {
    const v1 = await store.atomicPut('c/cas/k', enc('a'), {})
    const e1 = await rejectsWith(
      t,
      store.atomicPut('c/cas/k', enc('b'), {}),
      'retry',
      'stale-version',
    )
    t.same(e1.details, { key: 'c/cas/k', expected: null, actual: v1 })
    t.ok(e1.retryable)
    const v2 = await store.atomicPut('c/cas/k', enc('b'), { previous: v1 })
    t.ok(v2 > v1)
    const e2 = await rejectsWith(
      t,
      store.atomicPut('c/cas/k', enc('c'), { previous: v1 }),
      'retry',
      'stale-version',
    )
    t.same(e2.details, { key: 'c/cas/k', expected: v1, actual: v2 })
    t.equal(dec((await store.get('c/cas/k'))?.value), 'b', 'a failed CAS leaves the value')
    t.equal((await store.get('c/cas/k'))?.version, v2)
    const e3 = await rejectsWith(
      t,
      store.atomicPut('c/cas/missing', enc('x'), { previous: 5 }),
      'retry',
      'stale-version',
    )
    t.same(e3.details, { key: 'c/cas/missing', expected: 5, actual: null })
    t.equal(await store.get('c/cas/missing'), undefined)
  })

  t.test('atomicDelete and delete', async (t) => {
    const v1 = await store.put('c/del/k', enc('a'))
    const v2 = await store.put('c/del/k', enc('b'))
    await rejectsWith(t, store.atomicDelete('c/del/k', { previous: v1 }), 'retry', 'stale-version')
    t.equal(dec((await store.get('c/del/k'))?.value), 'b', 'a stale delete leaves the key')
    await store.atomicDelete('c/del/k', { previous: v2 })
    t.equal(await store.get('c/del/k'), undefined)
    await rejectsWith(t, store.atomicDelete('c/del/k', { previous: v2 }), 'retry', 'stale-version')
    await store.put('c/del/j', enc('x'))
    t.equal(await store.delete('c/del/j'), true)
    t.equal(await store.delete('c/del/j'), false)
    // A re-created key never reuses an old version.
    const v3 = await store.atomicPut('c/del/k', enc('again'), {})
    t.ok(v3 > v2)
  })

  t.test('list by prefix', async (t) => {
    await store.put('c/list/b/2', enc('2'))
    await store.put('c/list/b/1', enc('1'))
    await store.put('c/list/bc', enc('x'))
    await store.put('c/list/a', enc('a'))
    const under = await store.list('c/list/b/')
    t.same(
      under.map((kv) => kv.key),
      ['c/list/b/1', 'c/list/b/2'],
    )
    t.same(
      under.map((kv) => dec(kv.value)),
      ['1', '2'],
    )
    t.same(
      (await store.list('c/list/b')).map((kv) => kv.key),
      ['c/list/b/1', 'c/list/b/2', 'c/list/bc'],
    )
    t.same(await store.list('c/list/none/'), [])
    const all = await store.list('')
    t.ok(
      all.some((kv) => kv.key === 'c/list/a'),
      'an empty prefix lists everything',
    )
    for (const kv of under) t.equal((await store.get(kv.key))?.version, kv.version)
  })

  t.test('batch writes atomically', async (t) => {
    await store.put('c/batch/old', enc('old'))
    const v = await store.batch([
      { type: 'put', key: 'c/batch/x', value: enc('x') },
      { type: 'put', key: 'c/batch/y', value: enc('y') },
      { type: 'delete', key: 'c/batch/old' },
    ])
    t.equal((await store.get('c/batch/x'))?.version, v)
    t.equal((await store.get('c/batch/y'))?.version, v)
    t.equal(await store.get('c/batch/old'), undefined)
    await rejectsWith(
      t,
      store.batch([
        { type: 'put', key: 'c/batch/z', value: enc('z') },
        { type: 'put', key: 'bad key', value: enc('z') },
      ]),
      'bad-request',
      'invalid-key',
    )
    t.equal(await store.get('c/batch/z'), undefined, 'a rejected batch writes nothing')
    const dup = await rejectsWith(
      t,
      store.batch([
        { type: 'put', key: 'c/batch/z', value: enc('1') },
        { type: 'delete', key: 'c/batch/z' },
      ]),
      'bad-request',
      'invalid-batch',
    )
    t.same(dup.details, { key: 'c/batch/z' })
    t.equal(await store.get('c/batch/z'), undefined)
  })

  t.test('conditional batch: all conditions hold or nothing is written', async (t) => {
    const va = await store.put('c/cb/a', enc('a1'))
    const vb = await store.put('c/cb/b', enc('b1'))
    const v = await store.batch([
      { type: 'put', key: 'c/cb/a', value: enc('a2'), previous: va },
      { type: 'put', key: 'c/cb/new', value: enc('n'), previous: 'absent' },
      { type: 'delete', key: 'c/cb/b', previous: vb },
      { type: 'put', key: 'c/cb/free', value: enc('f') },
    ])
    t.equal((await store.get('c/cb/a'))?.version, v)
    t.equal(dec((await store.get('c/cb/new'))?.value), 'n')
    t.equal(await store.get('c/cb/b'), undefined)
    // One stale condition (a's old version) fails the whole batch, with the key that moved.
    const e1 = await rejectsWith(
      t,
      store.batch([
        { type: 'put', key: 'c/cb/x', value: enc('x'), previous: 'absent' },
        { type: 'put', key: 'c/cb/a', value: enc('a3'), previous: va },
        { type: 'delete', key: 'c/cb/free' },
      ]),
      'retry',
      'stale-version',
    )
    t.same(e1.details, { key: 'c/cb/a', expected: va, actual: v })
    t.equal(await store.get('c/cb/x'), undefined, 'a failed batch writes nothing')
    t.equal(dec((await store.get('c/cb/a'))?.value), 'a2')
    t.equal(dec((await store.get('c/cb/free'))?.value), 'f')
    // 'absent' on a present key, and a conditional delete of a missing key, fail too.
    const e2 = await rejectsWith(
      t,
      store.batch([{ type: 'put', key: 'c/cb/new', value: enc('n2'), previous: 'absent' }]),
      'retry',
      'stale-version',
    )
    t.same(e2.details, { key: 'c/cb/new', expected: null, actual: v })
    const e3 = await rejectsWith(
      t,
      store.batch([{ type: 'delete', key: 'c/cb/b', previous: vb }]),
      'retry',
      'stale-version',
    )
    t.same(e3.details, { key: 'c/cb/b', expected: vb, actual: null })
    for (const previous of [0, -2, 1.5, 'gone' as unknown as number]) {
      await rejectsWith(
        t,
        store.batch([{ type: 'put', key: 'c/cb/a', value: enc('bad'), previous }]),
        'bad-request',
        'invalid-version',
      )
    }
    await rejectsWith(
      t,
      store.batch([{ type: 'delete', key: 'c/cb/a', previous: 'absent' as unknown as number }]),
      'bad-request',
      'invalid-version',
    )
    t.equal(dec((await store.get('c/cb/a'))?.value), 'a2', 'bad input leaves state unchanged')
    // Racing conditional batches over the same key: exactly one wins.
    const cur = (await store.get('c/cb/a'))!.version
    const results = await Promise.allSettled(
      ['p', 'q', 'r'].map((s) =>
        store.batch([
          { type: 'put', key: 'c/cb/a', value: enc(s), previous: cur },
          { type: 'put', key: `c/cb/race-${s}`, value: enc(s), previous: 'absent' },
        ]),
      ),
    )
    t.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one racer wins')
    t.equal((await store.list('c/cb/race-')).length, 1, "only the winner's keys exist")
  })

  t.test('watch one key', async (t) => {
    const w = store.watch('c/watch/k')
    await w.ready
    const events = take(w, 3)
    const one = enc('1')
    const v1 = await store.put('c/watch/k', one)
    one.fill(0) // the writer reusing its buffer must not change what watchers see
    await store.put('c/watch/other', enc('ignored'))
    const v2 = await store.atomicPut('c/watch/k', enc('2'), { previous: v1 })
    await store.atomicDelete('c/watch/k', { previous: v2 })
    const got = await events
    t.same(
      got.map((e) => [e.type, e.key, e.type === 'delete' ? null : dec(e.value)]),
      [
        ['create', 'c/watch/k', '1'],
        ['update', 'c/watch/k', '2'],
        ['delete', 'c/watch/k', null],
      ],
    )
    t.equal(got[0]!.version, v1)
    t.equal(got[1]!.version, v2)
    t.ok(got[2]!.version > v2)
    t.ok(w instanceof Object && typeof w.close === 'function')
  })

  t.test('watch a prefix; abort ends it', async (t) => {
    const ac = new AbortController()
    const w = store.watch('c/pw/', { prefix: true, signal: ac.signal })
    await w.ready
    const seen: string[] = []
    const done = (async () => {
      for await (const ev of w) {
        seen.push(`${ev.type} ${ev.key}`)
        if (seen.length === 2) ac.abort()
      }
    })()
    await store.put('c/pwx', enc('outside'))
    await store.put('c/pw/a', enc('a'))
    await store.batch([{ type: 'put', key: 'c/pw/b', value: enc('b') }])
    await done
    t.same(seen, ['create c/pw/a', 'create c/pw/b'])
    await store.put('c/pw/c', enc('after abort'))
    t.equal(seen.length, 2, 'nothing after abort')
  })

  t.test('bad input gets typed errors and leaves state unchanged', async (t) => {
    await store.put('c/bad/k', enc('keep'))
    for (const key of [
      '',
      '/abs',
      'a//b',
      'a b',
      'tab\tkey',
      'new\nline',
      'ümlaut',
      'a/*',
      'x?y',
      'k#1',
    ]) {
      await rejectsWith(t, store.put(key, enc('v')), 'bad-request', 'invalid-key')
      await rejectsWith(t, store.get(key), 'bad-request', 'invalid-key')
    }
    await rejectsWith(t, store.put('k'.repeat(513), enc('v')), 'bad-request', 'key-too-long')
    await rejectsWith(t, store.list('a b'), 'bad-request', 'invalid-key')
    const big = await rejectsWith(
      t,
      store.put('c/bad/k', new Uint8Array(4097)),
      'bad-request',
      'value-too-large',
    )
    t.same(big.details, { key: 'c/bad/k', size: 4097, limit: 4096 })
    await rejectsWith(
      t,
      store.atomicPut('c/bad/k', new Uint8Array(5000), {}),
      'bad-request',
      'value-too-large',
    )
    await rejectsWith(
      t,
      store.put('c/bad/k', 'text' as unknown as Uint8Array),
      'bad-request',
      'invalid-value',
    )
    for (const previous of [0, -1, 1.5, Number.NaN, '3' as unknown as number]) {
      await rejectsWith(
        t,
        store.atomicPut('c/bad/k', enc('v'), { previous }),
        'bad-request',
        'invalid-version',
      )
      await rejectsWith(
        t,
        store.atomicDelete('c/bad/k', { previous }),
        'bad-request',
        'invalid-version',
      )
    }
    await rejectsWith(t, store.batch([{ type: 'nope' } as never]), 'bad-request', 'invalid-batch')
    const w = store.watch('bad key')
    await rejectsWith(t, w.ready, 'bad-request', 'invalid-key')
    t.equal(dec((await store.get('c/bad/k'))?.value), 'keep', 'state unchanged')
    t.equal(await store.get('c/bad/missing'), undefined)
  })

  t.test('concurrent CAS increments never lose an update', async (t) => {
    const key = 'c/counter'
    const increment = async (): Promise<number> => {
      let retries = 0
      for (;;) {
        const kv = await store.get(key)
        const n = kv ? Number(dec(kv.value)) : 0
        try {
          await store.atomicPut(key, enc(String(n + 1)), { previous: kv?.version })
          return retries
        } catch (err) {
          if (!(LibnetworkError.isInstance(err) && err.code === 'stale-version')) throw err
          retries++
        }
      }
    }
    const retries = await Promise.all(Array.from({ length: 20 }, increment))
    t.equal(dec((await store.get(key))?.value), '20')
    t.ok(
      retries.some((r) => r > 0),
      'the workers really raced',
    )
  })

  t.test('records: typed CRUD and a watch-fed cache', async (t) => {
    interface Net {
      name: string
      mtu: number
    }
    const nets = new RecordStore<Net>(store, { prefix: 'c/rec/network/', codec: jsonCodec<Net>() })
    const other = new RecordStore<Net>(store, { prefix: 'c/rec/network/', codec: jsonCodec<Net>() })
    const a = await nets.create('n1', { name: 'br0', mtu: 1500 })
    t.equal(a.key, 'c/rec/network/n1')
    await rejectsWith(t, nets.create('n1', { name: 'dup', mtu: 1 }), 'conflict', 'record-exists')
    await rejectsWith(t, nets.get('bad/id'), 'bad-request', 'invalid-id')
    const b = await nets.update({ ...a, value: { name: 'br0', mtu: 9000 } })
    await rejectsWith(
      t,
      nets.update({ ...a, value: { name: 'x', mtu: 1 } }),
      'retry',
      'stale-version',
    )
    t.same((await nets.get('n1'))?.value, { name: 'br0', mtu: 9000 })
    await other.start()
    t.ok(other.cached)
    t.same((await other.get('n1'))?.value, { name: 'br0', mtu: 9000 }, 'cache loaded')
    const changed = store.watch('c/rec/network/n2')
    await changed.ready
    const seen = take(changed, 1)
    await nets.create('n2', { name: 'br1', mtu: 1400 })
    await seen
    // The cache's own watch was registered first, so it has the event too by now or very soon.
    for (let i = 0; i < 100 && (await other.get('n2')) === undefined; i++)
      await new Promise((r) => setTimeout(r, 10))
    t.same((await other.get('n2'))?.value, { name: 'br1', mtu: 1400 }, 'cache follows writes')
    await nets.delete(b)
    for (let i = 0; i < 100 && (await other.get('n1')) !== undefined; i++)
      await new Promise((r) => setTimeout(r, 10))
    t.equal(await other.get('n1'), undefined, 'cache follows deletes')
    const m = await nets.mutate('n3', (cur) => ({ name: 'm', mtu: (cur?.mtu ?? 0) + 1 }))
    const m2 = await nets.mutate('n3', (cur) => ({ name: 'm', mtu: (cur?.mtu ?? 0) + 1 }))
    t.equal(m2.value.mtu, 2)
    t.ok(m2.version > m.version)
    t.same(
      (await nets.list()).map((r) => r.id),
      ['n2', 'n3'],
    )
    await other.stop()
    t.notOk(other.cached)
  })

  t.test('a closed store refuses calls', async (t) => {
    const s = await backend.open()
    await s.close()
    await rejectsWith(t, s.get('c/x'), 'unavailable', 'store-closed')
    await rejectsWith(t, s.put('c/x', enc('x')), 'unavailable', 'store-closed')
    await s.close()
  })
}
