import t from 'tap'
import fc from 'fast-check'
import { LibnetworkError } from '@libnetwork/types'
import { Idm } from '../src/index.js'

type Op =
  | { t: 'get'; serial: boolean }
  | { t: 'specific'; id: number }
  | { t: 'range'; a: number; b: number; serial: boolean }
  | { t: 'release'; id: number }
  | { t: 'roundtrip' }

function code(fn: () => unknown): string | undefined {
  try {
    fn()
    return undefined
  } catch (err) {
    if (!LibnetworkError.isInstance(err)) throw err
    return err.code
  }
}

/** The model: a Set of used ids and upstream's round-robin cursor. */
class Model {
  used = new Set<number>()
  next = 0
  constructor(
    readonly start: number,
    readonly end: number,
  ) {
    this.next = start
  }
  first(a: number, b: number): number {
    for (let i = a; i <= b; i++) if (!this.used.has(i)) return i
    return -1
  }
  get(a: number, b: number, serial: boolean): number {
    let id = -1
    if (serial && this.next > a && this.next <= b) id = this.first(this.next, b)
    if (id < 0) id = this.first(a, b)
    if (id >= 0) {
      this.used.add(id)
      this.next = id + 1
    }
    return id
  }
}

t.test('random operation sequences match a Set model', (t) => {
  const setup = fc.tuple(fc.nat(1000), fc.integer({ min: 0, max: 150 })).chain(([start, len]) => {
    const end = start + len
    const id = fc.integer({ min: start - 2, max: end + 2 })
    const op: fc.Arbitrary<Op> = fc.oneof(
      fc.record({ t: fc.constant('get' as const), serial: fc.boolean() }),
      fc.record({ t: fc.constant('specific' as const), id }),
      fc.record({ t: fc.constant('release' as const), id }),
      fc.record({ t: fc.constant('range' as const), a: id, b: id, serial: fc.boolean() }),
      fc.record({ t: fc.constant('roundtrip' as const) }),
    )
    return fc.tuple(fc.constant(start), fc.constant(end), fc.array(op, { maxLength: 250 }))
  })
  fc.assert(
    fc.property(setup, ([start, end, ops]) => {
      let idm = new Idm({ start, end })
      const m = new Model(start, end)
      const inRange = (id: number) => id >= start && id <= end
      for (const o of ops) {
        switch (o.t) {
          case 'get':
          case 'range': {
            const [a, b] = o.t === 'get' ? [start, end] : [o.a, o.b]
            if (!inRange(a) || !inRange(b) || a > b) {
              if (code(() => idm.getIdInRange(a, b, o.serial)) !== 'invalid-range') return false
              break
            }
            const want = m.get(a, b, o.serial)
            let got = -1
            const c = code(() => (got = idm.getIdInRange(a, b, o.serial)))
            if (want < 0 ? c !== 'no-id-available' : got !== want) return false
            break
          }
          case 'specific': {
            const c = code(() => idm.getSpecificId(o.id))
            const want = !inRange(o.id)
              ? 'id-out-of-range'
              : m.used.has(o.id)
                ? 'id-in-use'
                : undefined
            if (c !== want) return false
            if (!c) m.used.add(o.id)
            break
          }
          case 'release': {
            const c = code(() => idm.release(o.id))
            const want = !inRange(o.id)
              ? 'id-out-of-range'
              : m.used.has(o.id)
                ? undefined
                : 'id-not-allocated'
            if (c !== want) return false
            m.used.delete(o.id)
            break
          }
          case 'roundtrip':
            idm = Idm.fromBytes(idm.toBytes())
            break
        }
      }
      for (let i = start; i <= end; i++) if (idm.isAllocated(i) !== m.used.has(i)) return false
      return idm.available === end - start + 1 - m.used.size
    }),
    { numRuns: 300 },
  )
  t.pass('300 sequences agreed')
  t.end()
})
