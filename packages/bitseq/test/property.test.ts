import t, { type Test } from 'tap'
import fc from 'fast-check'
import { LibnetworkError } from '@libnetwork/types'
import { Bitmap } from '../src/index.js'
import { Model } from './fixtures/model.js'

type Op =
  | { t: 'set'; i: number }
  | { t: 'unset'; i: number }
  | { t: 'any'; serial: boolean }
  | { t: 'range'; a: number; b: number; serial: boolean }
  | { t: 'roundtrip' }

const op = (n: number): fc.Arbitrary<Op> =>
  fc.oneof(
    fc.record({ t: fc.constant('set' as const), i: fc.nat(n - 1) }),
    fc.record({ t: fc.constant('unset' as const), i: fc.nat(n - 1) }),
    fc.record({ t: fc.constant('any' as const), serial: fc.boolean() }),
    fc.record({
      t: fc.constant('range' as const),
      a: fc.nat(n - 1),
      b: fc.nat(n - 1),
      serial: fc.boolean(),
    }),
    fc.record({ t: fc.constant('roundtrip' as const) }),
  )

function code(fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    if (!LibnetworkError.isInstance(err)) throw err
    return err.code
  }
}

function apply(bm: Bitmap, m: Model, o: Op): Bitmap {
  switch (o.t) {
    case 'set': {
      const was = m.bits[o.i]!
      const c = code(() => bm.set(o.i))
      if (was !== (c === 'bit-already-set')) throw new Error(`set ${o.i}: ${c}`)
      m.bits[o.i] = true
      return bm
    }
    case 'unset': {
      const was = m.bits[o.i]!
      if (bm.unset(o.i) !== was) throw new Error(`unset ${o.i}`)
      m.bits[o.i] = false
      return bm
    }
    case 'any':
    case 'range': {
      const [a, b] =
        o.t === 'any' ? [0, m.bits.length - 1] : [Math.min(o.a, o.b), Math.max(o.a, o.b)]
      const want = m.setAnyInRange(a, b, o.serial)
      let got = -1
      const c = code(() => {
        got = bm.setAnyInRange(a, b, o.serial)
      })
      if (want < 0 ? c !== 'no-bit-available' : got !== want) {
        throw new Error(`setAnyInRange(${a}, ${b}, ${o.serial}): got ${got}/${c}, want ${want}`)
      }
      return bm
    }
    case 'roundtrip': {
      const back = Bitmap.fromBytes(bm.toBytes())
      if (!back.equals(bm) || back.cursor !== bm.cursor) throw new Error('round trip differs')
      return back
    }
  }
}

function same(t: Test, bm: Bitmap, m: Model): void {
  bm.check()
  const n = m.bits.length
  for (let i = 0; i < n; i++) {
    if (bm.isSet(i) !== m.bits[i]) {
      t.fail(`bit ${i}: bitmap ${bm.isSet(i)}, model ${m.bits[i]}`)
      return
    }
  }
  t.equal(bm.unselected(), m.unselected())
  t.equal(bm.cursor, m.curr)
}

t.test('random operation sequences match a boolean-array model', (t) => {
  fc.assert(
    fc.property(
      fc
        .integer({ min: 1, max: 200 })
        .chain((n) => fc.tuple(fc.constant(n), fc.array(op(n), { maxLength: 300 }))),
      ([n, ops]) => {
        let bm = new Bitmap(n)
        const m = new Model(n)
        for (const o of ops) bm = apply(bm, m, o)
        bm.check()
        for (let i = 0; i < n; i++) if (bm.isSet(i) !== m.bits[i]) return false
        return bm.unselected() === m.unselected() && bm.cursor === m.curr
      },
    ),
    { numRuns: 300 },
  )
  t.pass('300 sequences agreed')
  t.end()
})

t.test('many runs: chunk splits and merges stay consistent', (t) => {
  fc.assert(
    fc.property(fc.integer(), (seed) => {
      const n = 70_000
      const bm = new Bitmap(n)
      const m = new Model(n)
      let x = seed >>> 0
      const rand = (k: number): number => {
        x = (Math.imul(x, 1664525) + 1013904223) >>> 0
        return x % k
      }
      for (let k = 0; k < 6000; k++) {
        const i = rand(n)
        if (m.bits[i]) apply(bm, m, { t: 'unset', i })
        else apply(bm, m, { t: 'set', i })
        if (k % 7 === 0) apply(bm, m, { t: 'any', serial: k % 2 === 0 })
      }
      same(t, bm, m)
      const back = Bitmap.fromBytes(bm.toBytes())
      same(t, back, m)
      // drain: free everything again, runs merge back to one
      for (let i = 0; i < n; i++) if (m.bits[i]) apply(bm, m, { t: 'unset', i })
      same(t, bm, m)
      return bm.equals(new Bitmap(n)) && bm.runCount === 2
    }),
    { numRuns: 3 },
  )
  t.end()
})
