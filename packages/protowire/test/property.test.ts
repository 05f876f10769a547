// Round trips on random input (fast-check), and random bytes never break the reader: it either
// reads them or throws its BadRequestError, never anything else.
import t from 'tap'
import fc from 'fast-check'
import { BadRequestError } from '@libnetwork/types'
import { ProtoReader, ProtoWriter, fieldSize, fields, utf8Size, varintSize } from '../src/index.js'

type Field =
  | { kind: 'uint'; field: number; v: number }
  | { kind: 'int32'; field: number; v: number }
  | { kind: 'u64'; field: number; v: bigint }
  | { kind: 'string'; field: number; v: string }
  | { kind: 'bytes'; field: number; v: Uint8Array }

const fieldNo = fc.oneof(fc.integer({ min: 1, max: 15 }), fc.integer({ min: 16, max: 2 ** 29 - 1 }))
const arbField: fc.Arbitrary<Field> = fc.oneof(
  fc.record({ kind: fc.constant('uint' as const), field: fieldNo, v: fc.maxSafeNat() }),
  fc.record({
    kind: fc.constant('int32' as const),
    field: fieldNo,
    v: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
  }),
  fc.record({
    kind: fc.constant('u64' as const),
    field: fieldNo,
    v: fc.bigInt(0n, 2n ** 64n - 1n),
  }),
  fc.record({
    kind: fc.constant('string' as const),
    field: fieldNo,
    v: fc.string({ unit: 'grapheme' }),
  }),
  fc.record({
    kind: fc.constant('bytes' as const),
    field: fieldNo,
    v: fc.uint8Array({ maxLength: 300 }),
  }),
)

function write(w: ProtoWriter, f: Field): void {
  if (f.kind === 'uint') w.tag(f.field, 0).varint(f.v)
  else if (f.kind === 'int32') w.tag(f.field, 0).int32(f.v)
  else if (f.kind === 'u64') w.tag(f.field, 0).uint64(f.v)
  else if (f.kind === 'string') w.tag(f.field, 2).string(f.v)
  else w.tag(f.field, 2).bytes(f.v)
}

function size(f: Field): number {
  const tag = varintSize(f.field * 8)
  if (f.kind === 'uint') return tag + varintSize(f.v)
  if (f.kind === 'int32') return tag + varintSize(f.v)
  if (f.kind === 'u64') return tag + new ProtoWriter().uint64(f.v).finish().length
  if (f.kind === 'string') return fieldSize(utf8Size(f.v), f.field)
  return fieldSize(f.v.length, f.field)
}

t.test('any message reads back field for field, sized exactly', async (t) => {
  fc.assert(
    fc.property(fc.array(arbField, { maxLength: 20 }), fc.boolean(), (list, presize) => {
      const total = list.reduce((s, f) => s + size(f), 0)
      const w = new ProtoWriter(presize ? total : 1)
      for (const f of list) write(w, f)
      const bytes = w.finish()
      if (bytes.length !== total) return false
      const r = new ProtoReader(bytes)
      for (const f of list) {
        const tag = r.tag()
        if (tag >>> 3 !== f.field) return false
        if (f.kind === 'uint' && r.uint() !== f.v) return false
        if (f.kind === 'int32' && r.int32() !== f.v) return false
        if (f.kind === 'u64' && r.uint64() !== f.v) return false
        if (f.kind === 'string' && r.string() !== f.v) return false
        if (f.kind === 'bytes' && Buffer.compare(r.view(), f.v) !== 0) return false
      }
      return r.done
    }),
    { numRuns: 300 },
  )
  t.pass('300 random messages')
})

// fields() reads varints as numbers: negative int32s and uint64s past 2^53 are refused there
const numberField = arbField.filter(
  (f) => f.kind === 'uint' || f.kind === 'string' || f.kind === 'bytes',
)

t.test('fields() yields what the cursor reads', async (t) => {
  fc.assert(
    fc.property(fc.array(numberField, { maxLength: 10 }), (list) => {
      const w = new ProtoWriter()
      for (const f of list) write(w, f)
      const got = [...fields(w.finish())]
      return (
        got.length === list.length &&
        got.every((g, i) => {
          const f = list[i]!
          if (g.field !== f.field) return false
          if (f.kind === 'string') return g.string() === f.v
          if (f.kind === 'bytes') return Buffer.compare(g.bytes(), f.v) === 0
          return g.uint() === f.v
        })
      )
    }),
    { numRuns: 200 },
  )
  t.pass('200 random messages')
})

/** Read every field of `bytes` generically; true when it read all, throws on bad input. */
function readAll(bytes: Uint8Array, strict: boolean): boolean {
  const r = new ProtoReader(bytes, { utf8: strict ? 'strict' : 'replace' })
  while (!r.done) {
    const t = r.tag()
    const wire = t & 7
    if (wire === 2 && (t >>> 3) % 2 === 0) r.string()
    else if (wire === 2) r.message()
    else r.skip(wire)
  }
  return true
}

t.test('random bytes: read, or a BadRequestError; never another error', async (t) => {
  let refused = 0
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, strict) => {
      try {
        return readAll(bytes, strict)
      } catch (err) {
        refused++
        return BadRequestError.isInstance(err) && /^protowire\./.test(err.code)
      }
    }),
    { numRuns: 2000 },
  )
  t.ok(refused > 0, `${refused} of 2000 refused, each with a typed error`)
})

t.test('a truncated valid message is refused, never misread as complete', async (t) => {
  fc.assert(
    fc.property(
      fc
        .array(arbField, { minLength: 1, maxLength: 8 })
        .filter((l) =>
          l.some((f) => f.kind === 'string' || f.kind === 'bytes' || f.kind === 'uint'),
        ),
      (list) => {
        const w = new ProtoWriter()
        for (const f of list) write(w, f)
        const full = w.finish()
        // cut inside the last field: its key is written, so the cut is never on a boundary
        const last = list.at(-1)!
        const cut = full.length - Math.max(1, size(last) - varintSize(last.field * 8))
        try {
          const r = new ProtoReader(full.subarray(0, cut))
          for (const f of list) {
            r.tag()
            if (f.kind === 'string' || f.kind === 'bytes') r.view()
            else r.uint64()
          }
          return false
        } catch (err) {
          return BadRequestError.isInstance(err) && err.code === 'protowire.truncated'
        }
      },
    ),
    { numRuns: 300 },
  )
  t.pass('300 truncations')
})
