import t from 'tap'
import { LibnetworkError } from '@libnetwork/types'
import { Bitmap, MAX_BITS } from '../src/index.js'

function thrown(fn: () => unknown): LibnetworkError {
  try {
    fn()
  } catch (err) {
    if (LibnetworkError.isInstance(err)) return err
    throw err
  }
  throw new Error('expected a throw')
}

t.test('a fresh bitmap is clear and allocates from 0', (t) => {
  const bm = new Bitmap(100)
  t.equal(bm.bits, 100)
  t.equal(bm.unselected(), 100)
  t.equal(bm.selected(), 0)
  t.equal(bm.setAny(), 0)
  t.equal(bm.setAny(), 1)
  bm.set(5)
  t.equal(bm.isSet(5), true)
  t.equal(bm.isSet(4), false)
  t.equal(bm.setAny(), 2)
  t.equal(bm.unset(1), true)
  t.equal(bm.unset(1), false, 'unset of a clear bit is a no-op, as upstream')
  t.equal(bm.setAny(), 1)
  t.equal(bm.unselected(), 96)
  bm.check()
  t.end()
})

t.test('serial mode continues round-robin after the last allocation', (t) => {
  const bm = new Bitmap(8)
  t.equal(bm.setAny(true), 0)
  t.equal(bm.setAny(true), 1)
  t.equal(bm.setAny(true), 2)
  bm.unset(0)
  t.equal(bm.setAny(true), 3, 'serial does not go back to the freed 0')
  t.equal(bm.setAny(false), 0, 'non-serial takes the first free')
  bm.unset(2)
  t.equal(bm.cursor, 1)
  t.equal(bm.setAny(true), 2)
  for (const want of [4, 5, 6, 7]) t.equal(bm.setAny(true), want)
  bm.unset(1)
  t.equal(bm.setAny(true), 1, 'wraps around to the start')
  t.end()
})

t.test('setAnyInRange stays inside the range', (t) => {
  const bm = new Bitmap(1000)
  t.equal(bm.setAnyInRange(500, 510), 500)
  t.equal(bm.setAnyInRange(500, 510, true), 501)
  for (let i = 502; i <= 510; i++) t.equal(bm.setAnyInRange(500, 510, true), i)
  const err = thrown(() => bm.setAnyInRange(500, 510))
  t.equal(err.code, 'no-bit-available')
  t.equal(err.category, 'unavailable')
  t.equal(bm.unselected(), 989, 'failed allocation changes nothing')
  t.equal(bm.setAnyInRange(0, 999), 0)
  t.end()
})

t.test('exhaustion is a typed error and changes nothing', (t) => {
  const bm = new Bitmap(33)
  for (let i = 0; i < 33; i++) t.equal(bm.setAny(), i)
  const before = bm.toBytes()
  const err = thrown(() => bm.setAny())
  t.equal(err.code, 'no-bit-available')
  t.same(bm.toBytes(), before)
  t.equal(bm.unselected(), 0)
  t.end()
})

t.test('bad input: typed errors, state unchanged', (t) => {
  const bm = new Bitmap(64)
  bm.set(3)
  const before = bm.toBytes()
  for (const bad of [-1, 64, 1.5, NaN, Infinity]) {
    const e = thrown(() => bm.set(bad))
    t.equal(e.code, 'out-of-range', `set(${bad})`)
    t.equal(e.category, 'bad-request')
    t.equal(thrown(() => bm.unset(bad)).code, 'out-of-range')
    t.equal(thrown(() => bm.isSet(bad)).code, 'out-of-range')
  }
  const dup = thrown(() => bm.set(3))
  t.equal(dup.code, 'bit-already-set')
  t.equal(dup.category, 'conflict')
  t.same(dup.details, { bit: 3 })
  t.equal(thrown(() => bm.setAnyInRange(10, 5)).code, 'invalid-range')
  t.equal(thrown(() => bm.setAnyInRange(0, 64)).code, 'invalid-range')
  t.equal(thrown(() => bm.nextClear(-1)).code, 'invalid-range')
  t.same(bm.toBytes(), before)
  for (const n of [0, -5, 1.5, MAX_BITS + 1]) {
    t.equal(thrown(() => new Bitmap(n)).code, 'invalid-size', `new Bitmap(${n})`)
  }
  t.end()
})

t.test('huge bitmaps stay small', (t) => {
  const bm = new Bitmap(2 ** 40)
  t.equal(bm.runCount, 1)
  bm.set(2 ** 40 - 1)
  bm.set(2 ** 33 + 7)
  t.equal(bm.isSet(2 ** 33 + 7), true)
  t.equal(bm.isSet(2 ** 33 + 6), false)
  t.equal(bm.setAnyInRange(2 ** 33, 2 ** 34), 2 ** 33)
  t.equal(bm.nextClear(2 ** 33 + 7), 2 ** 33 + 8)
  t.equal(bm.unselected(), 2 ** 40 - 3)
  t.ok(bm.runCount <= 7)
  t.ok(bm.toBytes().length < 64)
  bm.check()
  const back = Bitmap.fromBytes(bm.toBytes())
  t.ok(back.equals(bm))
  t.equal(back.isSet(2 ** 40 - 1), true)
  t.end()
})

t.test('bits past the end of a partial last word are never handed out', (t) => {
  for (const n of [1, 31, 33, 63, 65]) {
    const bm = new Bitmap(n)
    for (let i = 0; i < n; i++) t.equal(bm.setAny(true), i)
    t.equal(thrown(() => bm.setAny()).code, 'no-bit-available', `${n} bits`)
    bm.check()
  }
  t.end()
})

t.test('serialised form round-trips, carries the cursor, and rejects garbage', (t) => {
  const bm = new Bitmap(1000)
  for (let i = 0; i < 100; i++) bm.setAny(true)
  bm.unset(50)
  bm.version = 7
  const bytes = bm.toBytes()
  t.equal(bytes[0], 0x62)
  const back = Bitmap.fromBytes(bytes, { version: 9 })
  t.ok(back.equals(bm))
  t.equal(back.cursor, 100)
  t.equal(back.version, 9)
  t.equal(back.setAny(true), 100, 'serial continues where it was')
  t.equal(bm.clone().version, 7)
  const bad: Uint8Array[] = [
    new Uint8Array([]),
    new Uint8Array([0x63, 1, 1, 0, 1, 0, 0, 0, 0, 1]),
    new Uint8Array([0x62, 2, 1, 0, 1, 0, 0, 0, 0, 1]),
    bytes.slice(0, bytes.length - 1),
    new Uint8Array([...bytes, 0]),
    // two runs holding the same word
    new Uint8Array([0x62, 1, 64, 0, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]),
    // padding bits not set: 33 bits, last word 0
    new Uint8Array([0x62, 1, 33, 0, 1, 0, 0, 0, 0, 2]),
    // runs cover too few words
    new Uint8Array([0x62, 1, 64, 0, 1, 0, 0, 0, 0, 1]),
  ]
  for (const b of bad) {
    const e = thrown(() => Bitmap.fromBytes(b))
    t.equal(e.code, 'invalid-bitmap', `rejects ${Buffer.from(b).toString('hex')}`)
    t.equal(e.category, 'bad-request')
  }
  t.end()
})

t.test('clone is independent', (t) => {
  const a = new Bitmap(64)
  a.set(1)
  const b = a.clone()
  b.set(2)
  t.equal(a.isSet(2), false)
  t.equal(b.isSet(1), true)
  t.notOk(a.equals(b))
  t.end()
})

t.test('runs stay maximal: alternating bits compress to one run', (t) => {
  const bm = new Bitmap(65536)
  for (let i = 0; i < 65536; i++) bm.setAny()
  t.equal(bm.runCount, 1)
  for (let i = 0; i < 65536; i += 2) bm.unset(i)
  t.equal(bm.runCount, 1)
  t.equal(bm.unselected(), 32768)
  t.same([...bm.entries()], [[0, 0xaaaaaaaa, 2048]])
  bm.check()
  t.end()
})

t.test('trySetAnyInRange returns -1 when full', (t) => {
  const bm = new Bitmap(4)
  t.equal(bm.trySetAnyInRange(1, 2), 1)
  t.equal(bm.trySetAnyInRange(1, 2), 2)
  t.equal(bm.trySetAnyInRange(1, 2), -1)
  t.equal(bm.unselected(), 2)
  t.equal(thrown(() => bm.trySetAnyInRange(2, 1)).code, 'invalid-range')
  t.end()
})

t.test('memory stays within what the run-length form needs', (t) => {
  // Go's form costs a 24-byte list node per run; ours is 12 bytes per run plus array slack.
  let x = 12345
  const rand = (k: number) => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    return x % k
  }
  for (const n of [65_536, 1 << 24]) {
    const bm = new Bitmap(n)
    for (let k = 0; k < 20_000; k++) {
      const i = rand(n)
      if (bm.isSet(i)) bm.unset(i)
      else bm.set(i)
    }
    t.ok(
      bm.byteLength <= 24 * bm.runCount + 64,
      `${n} bits: ${bm.runCount} runs in ${bm.byteLength} bytes`,
    )
  }
  t.equal(new Bitmap(2 ** 50).byteLength, 48, 'an empty 2^50-bit bitmap is one small chunk')
  t.end()
})
