// Known bytes from the protobuf encoding rules, and malformed input as typed errors.
import t from 'tap'
import { BadRequestError } from '@libnetwork/types'
import {
  MAX_FIELD,
  ProtoReader,
  ProtoWriter,
  fieldSize,
  fields,
  tagSize,
  utf8Size,
  varintSize,
} from '../src/index.js'

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

t.test('varints as the protobuf encoding guide spells them', async (t) => {
  const cases: [number, string][] = [
    [0, '00'],
    [1, '01'],
    [127, '7f'],
    [128, '8001'],
    [150, '9601'],
    [300, 'ac02'],
    [2 ** 31, '8080808008'],
    [2 ** 32 + 1, '8180808010'],
    [Number.MAX_SAFE_INTEGER, 'ffffffffffffff0f'],
  ]
  for (const [n, h] of cases) {
    t.equal(hex(new ProtoWriter().varint(n).finish()), h, `${n} -> ${h}`)
    t.equal(new ProtoReader(unhex(h)).uint(), n, `${h} -> ${n}`)
    t.equal(varintSize(n), h.length / 2, `size of ${n}`)
  }
  t.equal(hex(new ProtoWriter().uint64(2n ** 64n - 1n).finish()), 'ffffffffffffffffff01')
  t.equal(new ProtoReader(unhex('ffffffffffffffffff01')).uint64(), 2n ** 64n - 1n)
  t.equal(new ProtoReader(unhex('ffffffffffffffffff01')).int64(), -1n)
})

t.test('int32: negatives are ten bytes (64-bit two’s complement)', async (t) => {
  const w = new ProtoWriter().int32(-1).finish()
  t.equal(hex(w), 'ffffffffffffffffff01')
  t.equal(new ProtoReader(w).int32(), -1)
  const min = new ProtoWriter().int32(-(2 ** 31)).finish()
  t.equal(hex(min), '80808080f8ffffffff01')
  t.equal(new ProtoReader(min).int32(), -(2 ** 31))
  t.equal(varintSize(-5), 10)
})

t.test('keys: one byte up to field 15, then a varint', async (t) => {
  t.equal(hex(new ProtoWriter().tag(1, 2).finish()), '0a')
  t.equal(hex(new ProtoWriter().tag(15, 0).finish()), '78')
  t.equal(hex(new ProtoWriter().tag(16, 0).finish()), '8001')
  t.equal(hex(new ProtoWriter().tag(100, 2).finish()), 'a206')
  t.equal(tagSize(15), 1)
  t.equal(tagSize(16), 2)
  t.equal(new ProtoReader(unhex('a206')).tag(), (100 << 3) | 2)
  const max = new ProtoWriter().tag(MAX_FIELD, 0).finish()
  t.equal(new ProtoReader(max).tag() / 8, MAX_FIELD)
})

t.test('proto3 helpers leave zero values out; message and repeated always write', async (t) => {
  const w = new ProtoWriter()
    .uintField(1, 0)
    .int32Field(2, 0)
    .boolField(3, false)
    .stringField(4, '')
    .bytesField(5, new Uint8Array(0))
  t.equal(w.finish().length, 0)
  const v = new ProtoWriter()
    .uintField(1, 5)
    .boolField(3, true)
    .stringField(4, 'hé')
    .bytesField(5, unhex('ff'))
    .messageField(6, new Uint8Array(0))
    .repeatedString(7, ['', 'x'])
    .finish()
  t.equal(hex(v), '0805' + '1801' + '2203' + '68c3a9' + '2a01ff' + '3200' + '3a00' + '3a0178')
})

t.test('sizes', async (t) => {
  t.equal(utf8Size('abc'), 3)
  t.equal(utf8Size('hé'), 3)
  t.equal(utf8Size('😀'), 4)
  t.equal(fieldSize(3), 5)
  t.equal(fieldSize(200), 1 + 2 + 200)
  t.equal(fieldSize(3, 100), 2 + 1 + 3)
})

t.test('a presized writer never copies; an unsized one grows', async (t) => {
  const w = new ProtoWriter(fieldSize(3))
  const buf = w.buf
  w.stringField(1, 'abc')
  t.equal(w.buf, buf, 'same buffer')
  t.equal(w.finish(), buf, 'finish returns it whole')
  const g = new ProtoWriter(1)
  const long = 'x'.repeat(5000)
  t.equal(g.stringField(1, long).finish().length, fieldSize(5000))
  const back = new ProtoReader(g.finish())
  t.equal(back.tag(), 0x0a)
  t.equal(back.string(), long)
})

t.test('reader: views, copies, embedded messages, skipping', async (t) => {
  // field 1 "ab", field 2 {field 1 = 7}, field 3 fixed64, field 4 fixed32, field 5 varint 300
  const b = unhex('0a026162' + '12020807' + '190102030405060708' + '2501020304' + '28ac02')
  const r = new ProtoReader(b)
  t.equal(r.tag(), 0x0a)
  const v = r.view()
  t.equal(v.buffer, b.buffer, 'a view shares the input')
  t.equal(Buffer.from(v).toString(), 'ab')
  t.equal(r.tag(), 0x12)
  const m = r.message('inner')
  t.equal(m.tag(), 0x08)
  t.equal(m.uint(), 7)
  t.ok(m.done)
  t.equal(r.tag(), 0x19)
  t.equal(r.fixed64(), 0x0807060504030201n)
  t.equal(r.tag(), 0x25)
  t.equal(r.fixed32(), 0x04030201)
  t.equal(r.tag(), 0x28)
  t.equal(r.uint(), 300)
  t.ok(r.done)
  const c = new ProtoReader(b)
  c.tag()
  const copy = c.copy()
  t.not(copy.buffer, b.buffer, 'a copy does not')
  const s = new ProtoReader(b)
  for (let i = 0; i < 5; i++) s.skip(s.tag() & 7)
  t.ok(s.done, 'every wire type skipped')
  const part = new ProtoReader(b, { start: 4, end: 8 })
  t.equal(part.tag(), 0x12)
  const pm = part.message()
  t.equal(pm.tag(), 0x08)
  t.equal(pm.uint(), 7)
  t.ok(part.done, 'a reader over a range stops at its end')
})

t.test('fields(): wire order, fixed-width skipped, wire types checked', async (t) => {
  const b = unhex('0a026162' + '2501020304' + '1001' + '0a0163')
  const got = [...fields(b)].map((f) => [f.field, f.wire])
  t.same(got, [
    [1, 2],
    [2, 0],
    [1, 2],
  ])
  const [a, n] = [...fields(b)]
  t.equal(a!.string(), 'ab')
  t.same([...a!.bytes()], [0x61, 0x62])
  t.equal(n!.uint(), 1)
  t.equal(n!.bool(), true)
  t.throws(() => a!.uint(), { code: 'protowire.wire-type' })
  t.throws(() => n!.string(), { code: 'protowire.wire-type' })
})

/** The error a read throws. */
function fault(f: () => unknown): BadRequestError {
  try {
    f()
  } catch (err) {
    if (BadRequestError.isInstance(err)) return err
    throw err
  }
  throw new Error('no error')
}

t.test('malformed input is a BadRequestError with a stable code', async (t) => {
  const cases: [string, string, (r: ProtoReader) => unknown][] = [
    ['truncated varint', '80', (r) => r.uint()],
    ['varint longer than 10 bytes', 'ffffffffffffffffffff01', (r) => r.uint64()],
    ['uint above 2^53 - 1', 'ffffffffffffffffff01', (r) => r.uint()],
    ['length past the end', '0a05616263', (r) => (r.tag(), r.view())],
    ['truncated fixed64', '0901020304', (r) => r.skip(r.tag() & 7)],
    ['truncated fixed32', '0d0102', (r) => r.skip(r.tag() & 7)],
    ['field 0', '0001', (r) => r.tag()],
    ['wire type 3 (group)', '0b', (r) => r.skip(r.tag() & 7)],
    ['wire type 7', '0f', (r) => r.skip(r.tag() & 7)],
    ['invalid UTF-8', '0a02c328', (r) => (r.tag(), r.string())],
    ['a known field of the wrong type', '0801', (r) => r.expect(r.tag() & 7, 2, 1)],
  ]
  const want: Record<string, string> = {
    'truncated varint': 'truncated',
    'varint longer than 10 bytes': 'varint',
    'uint above 2^53 - 1': 'varint',
    'length past the end': 'truncated',
    'truncated fixed64': 'truncated',
    'truncated fixed32': 'truncated',
    'field 0': 'field',
    'wire type 3 (group)': 'wire-type',
    'wire type 7': 'wire-type',
    'invalid UTF-8': 'utf8',
    'a known field of the wrong type': 'wire-type',
  }
  for (const [what, h, read] of cases) {
    const e = fault(() => read(new ProtoReader(unhex(h), { what: 'thing' })))
    t.equal(e.code, `protowire.${want[what]}`, what)
    t.match(e.message, /^malformed thing: /, `${what}: message names what was read`)
    t.equal(e.details.fault, want[what])
    const one = fault(() => read(new ProtoReader(unhex(h), { code: 'x.malformed' })))
    t.equal(one.code, 'x.malformed', `${what}: one code for all`)
    const per = fault(() => read(new ProtoReader(unhex(h), { code: (f) => `y.${f}` })))
    t.equal(per.code, `y.${want[what]}`, `${what}: a code per fault`)
  }
  t.throws(() => new ProtoReader(unhex('00'), { start: 0, end: 2 }), {
    code: 'protowire.truncated',
  })
})

t.test("utf8: 'replace' reads any bytes, as Go does", async (t) => {
  const r = new ProtoReader(unhex('0a02c328'), { utf8: 'replace' })
  r.tag()
  t.equal(r.string(), '\ufffd(')
})

t.test('the writer refuses values it cannot encode, and writes nothing', async (t) => {
  for (const v of [-1, 1.5, 2 ** 53, NaN, Infinity]) {
    const w = new ProtoWriter()
    t.throws(() => w.varint(v), { code: 'protowire.bad-value' }, `varint ${v}`)
    t.equal(w.pos, 0)
  }
  for (const v of [2 ** 31, -(2 ** 31) - 1, 0.5]) {
    t.throws(() => new ProtoWriter().int32(v), { code: 'protowire.bad-value' }, `int32 ${v}`)
  }
  t.throws(() => new ProtoWriter().uint64(-1n), { code: 'protowire.bad-value' })
  t.throws(() => new ProtoWriter().uint64(2n ** 64n), { code: 'protowire.bad-value' })
})
