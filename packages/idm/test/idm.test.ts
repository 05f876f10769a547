import t from 'tap'
import { LibnetworkError } from '@libnetwork/types'
import { Idm } from '../src/index.js'

function thrown(fn: () => unknown): LibnetworkError {
  try {
    fn()
  } catch (err) {
    if (LibnetworkError.isInstance(err)) return err
    throw err
  }
  throw new Error('expected a throw')
}

t.test('ids come from [start, end]', (t) => {
  const idm = new Idm({ start: 10, end: 14 })
  t.equal(idm.getId(), 10)
  t.equal(idm.getId(), 11)
  idm.getSpecificId(13)
  t.equal(idm.getId(), 12)
  t.equal(idm.getId(), 14)
  t.equal(idm.available, 0)
  const full = thrown(() => idm.getId())
  t.equal(full.code, 'no-id-available')
  t.equal(full.category, 'unavailable')
  idm.release(12)
  t.equal(idm.isAllocated(12), false)
  t.equal(idm.getId(), 12)
  t.end()
})

t.test('serial allocation goes round-robin', (t) => {
  const idm = new Idm({ start: 1, end: 5 })
  t.equal(idm.getId(true), 1)
  t.equal(idm.getId(true), 2)
  idm.release(1)
  t.equal(idm.getId(true), 3)
  t.equal(idm.getId(true), 4)
  t.equal(idm.getId(true), 5)
  t.equal(idm.getId(true), 1, 'wraps')
  t.end()
})

t.test('getIdInRange', (t) => {
  const idm = new Idm({ start: 0, end: 99 })
  t.equal(idm.getIdInRange(50, 52), 50)
  t.equal(idm.getIdInRange(50, 52, true), 51)
  t.equal(idm.getIdInRange(50, 52, true), 52)
  t.equal(thrown(() => idm.getIdInRange(50, 52)).code, 'no-id-available')
  t.equal(idm.getId(), 0)
  t.end()
})

t.test('bad input: typed errors, state unchanged', (t) => {
  const idm = new Idm({ start: 100, end: 199 })
  idm.getSpecificId(150)
  const before = idm.toBytes()
  for (const id of [99, 200, -1, 1.5, NaN]) {
    t.equal(thrown(() => idm.getSpecificId(id)).code, 'id-out-of-range', `getSpecificId(${id})`)
    t.equal(thrown(() => idm.release(id)).code, 'id-out-of-range', `release(${id})`)
  }
  const taken = thrown(() => idm.getSpecificId(150))
  t.equal(taken.code, 'id-in-use')
  t.equal(taken.category, 'conflict')
  t.same(taken.details, { id: 150 })
  const twice = thrown(() => idm.release(151))
  t.equal(twice.code, 'id-not-allocated')
  t.equal(twice.category, 'not-found')
  for (const [a, b] of [
    [50, 150],
    [150, 250],
    [160, 150],
  ] as const) {
    t.equal(thrown(() => idm.getIdInRange(a, b)).code, 'invalid-range', `[${a}, ${b}]`)
  }
  t.same(idm.toBytes(), before)
  for (const o of [
    { start: 5, end: 4 },
    { start: -1, end: 4 },
    { start: 0, end: 2 ** 53 },
  ]) {
    t.equal(thrown(() => new Idm(o)).code, 'invalid-range', JSON.stringify(o))
  }
  t.end()
})

t.test('the widest ranges: 2^53 - 1 ids fit, the whole [0, 2^53 - 1] does not', (t) => {
  const max = 2 ** 53 - 1
  const low = new Idm({ start: 0, end: max - 1 })
  t.equal(low.available, max)
  t.equal(low.getId(), 0)
  low.getSpecificId(max - 1)
  const high = new Idm({ start: 1, end: max })
  t.equal(high.getId(), 1)
  high.getSpecificId(max)
  t.equal(high.isAllocated(max), true)
  const err = thrown(() => new Idm({ start: 0, end: max }))
  t.equal(err.code, 'invalid-range', 'a typed error of idm, not bitseq invalid-size')
  t.equal(err.category, 'bad-request')
  t.match(err.message, /at most 9007199254740991/)
  t.end()
})

t.test('serialised form round-trips and rejects garbage', (t) => {
  const idm = new Idm({ start: 4096, end: 2 ** 24 - 1 })
  idm.getId(true)
  idm.getId(true)
  idm.getSpecificId(70000)
  idm.release(4096)
  const back = Idm.fromBytes(idm.toBytes(), { version: 4 })
  t.equal(back.start, 4096)
  t.equal(back.end, 2 ** 24 - 1)
  t.equal(back.version, 4)
  t.equal(back.isAllocated(70000), true)
  t.equal(back.isAllocated(4096), false)
  t.equal(back.getId(true), 4098, 'serial cursor survives')
  t.equal(back.available, idm.available - 1)
  const bytes = idm.toBytes()
  for (const bad of [
    new Uint8Array(3),
    bytes.slice(0, 12),
    new Uint8Array([0x69, 2, ...bytes.slice(2)]),
  ]) {
    t.equal(thrown(() => Idm.fromBytes(bad)).code, 'invalid-idm')
  }
  const c = idm.clone()
  c.getSpecificId(5000)
  t.equal(idm.isAllocated(5000), false)
  t.end()
})
