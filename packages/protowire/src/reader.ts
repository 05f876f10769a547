/**
 * A cursor over protobuf wire bytes: tags, varints, fixed-width and length-delimited fields.
 * Length-delimited fields come back as views into the input (no copy) unless a copy is asked
 * for; strings are decoded natively. Every read checks the bounds it was given, and bad input
 * throws a `BadRequestError` (see `errors.ts`), never a RangeError or a wrong value.
 */
import { isUtf8 } from 'node:buffer'
import { wireError, type ErrorCode, type WireFault } from './errors.js'

/** The wire types: varint 0, 64-bit 1, length-delimited 2, 32-bit 5 (3 and 4 are groups). */
export const WireType = { Varint: 0, Fixed64: 1, LengthDelimited: 2, Fixed32: 5 } as const
export type WireTypeNumber = (typeof WireType)[keyof typeof WireType]

/** The largest field number protobuf allows (2^29 − 1). */
export const MAX_FIELD = 0x1fffffff

export interface ReaderOptions {
  /** What is being read, for error messages ("endpoint record"). Default "protobuf message". */
  what?: string
  /** The errors' `code` (see {@link ErrorCode}); default `protowire.<fault>`. */
  code?: ErrorCode
  /**
   * Strings: `'strict'` (default) refuses bytes that are not UTF-8 (fault `utf8`); `'replace'`
   * decodes them with U+FFFD, as Go's gogo/protobuf readers accept any bytes.
   */
  utf8?: 'strict' | 'replace'
  /** Read `buf[start, end)` only (default: all of it). */
  start?: number
  end?: number
}

const asBuffer = (b: Uint8Array): Buffer =>
  Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)

export class ProtoReader {
  /** Offset of the next byte to read. */
  pos: number
  /** Offset where this reader's bytes end. */
  readonly end: number
  readonly buf: Uint8Array
  readonly what: string
  readonly #code: ErrorCode | undefined
  readonly #strict: boolean
  /** The same bytes as a Buffer, for Node's native string decoding and copies. */
  readonly #nb: Buffer

  constructor(buf: Uint8Array, opts: ReaderOptions = {}) {
    const start = opts.start ?? 0
    const end = opts.end ?? buf.length
    this.buf = buf
    this.what = opts.what ?? 'protobuf message'
    this.#code = opts.code
    this.#strict = opts.utf8 !== 'replace'
    this.#nb = asBuffer(buf)
    if (!(start >= 0 && start <= end && end <= buf.length)) {
      this.fail('truncated', `range [${start}, ${end}) outside ${buf.length} bytes`)
    }
    this.pos = start
    this.end = end
  }

  /** Throw this reader's error for `fault`. */
  fail(fault: WireFault, why: string, details: Record<string, unknown> = {}): never {
    throw wireError(this.#code, fault, this.what, why, {
      offset: this.pos,
      length: this.end,
      ...details,
    })
  }

  /** True when every byte has been read. */
  get done(): boolean {
    return this.pos >= this.end
  }

  /** A varint as two 32-bit halves, both unsigned. */
  #varint(): [number, number] {
    const b = this.buf
    let lo = 0
    let hi = 0
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated', 'truncated varint')
      const x = b[this.pos++]!
      if (i < 4) lo |= (x & 0x7f) << (7 * i)
      else if (i === 4) {
        lo |= (x & 0x0f) << 28
        hi |= (x & 0x7f) >> 4
      } else hi |= (x & 0x7f) << (7 * i - 32) // bits 35 and up of the value
      if (x < 0x80) return [lo >>> 0, hi >>> 0]
    }
    return this.fail('varint', 'varint longer than 10 bytes')
  }

  /** A field key (field number << 3 | wire type); field 0 and numbers past 2^29 − 1 are refused. */
  tag(): number {
    const t = this.uint()
    if (t < 8 || t > 0xffffffff) this.fail('field', `invalid field number ${Math.floor(t / 8)}`)
    return t
  }

  /** An unsigned varint as a number; above 2^53 − 1 it is refused (fault `varint`). */
  uint(): number {
    const b = this.buf
    if (this.pos < this.end) {
      const x = b[this.pos]!
      if (x < 0x80) {
        this.pos++
        return x
      }
      if (this.pos + 1 < this.end && b[this.pos + 1]! < 0x80) {
        const v = (x & 0x7f) | (b[this.pos + 1]! << 7)
        this.pos += 2
        return v
      }
    }
    const [lo, hi] = this.#varint()
    if (hi > 0x1fffff) this.fail('varint', 'varint is above 2^53 - 1')
    return hi * 0x1_0000_0000 + lo
  }

  /** An unsigned 64-bit varint, exactly. */
  uint64(): bigint {
    const [lo, hi] = this.#varint()
    return (BigInt(hi) << 32n) | BigInt(lo)
  }

  /** An int32 varint (negative values take 10 bytes on the wire; the low 32 bits count). */
  int32(): number {
    return this.#varint()[0] | 0
  }

  /** A signed 64-bit varint (two's complement), exactly. */
  int64(): bigint {
    return BigInt.asIntN(64, this.uint64())
  }

  /** A bool: any non-zero varint is true. */
  bool(): boolean {
    const [lo, hi] = this.#varint()
    return lo !== 0 || hi !== 0
  }

  /** A fixed 32-bit little-endian unsigned value. */
  fixed32(): number {
    this.#need(4)
    const v = this.#nb.readUInt32LE(this.pos)
    this.pos += 4
    return v
  }

  /** A fixed 64-bit little-endian unsigned value. */
  fixed64(): bigint {
    this.#need(8)
    const v = this.#nb.readBigUInt64LE(this.pos)
    this.pos += 8
    return v
  }

  /** The length of a length-delimited field; `pos` is left at its first byte. */
  len(): number {
    const len = this.uint()
    if (len > this.end - this.pos)
      this.fail('truncated', 'length-delimited field runs past the end')
    return len
  }

  /** A length-delimited field as a view into the input (no copy). */
  view(): Uint8Array {
    const len = this.len()
    const v = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return v
  }

  /** A length-delimited field as a copy (one that does not keep the input alive). */
  copy(): Uint8Array {
    const len = this.len()
    const v = Buffer.allocUnsafe(len)
    this.#nb.copy(v, 0, this.pos, this.pos + len)
    this.pos += len
    return v
  }

  /** A reader over the next length-delimited field (an embedded message), same options. */
  message(what = this.what): ProtoReader {
    const len = this.len()
    const r = new ProtoReader(this.buf, {
      what,
      ...(this.#code === undefined ? {} : { code: this.#code }),
      utf8: this.#strict ? 'strict' : 'replace',
      start: this.pos,
      end: this.pos + len,
    })
    this.pos += len
    return r
  }

  /** A UTF-8 string field. */
  string(): string {
    const len = this.len()
    const start = this.pos
    const s = this.stringAt(start, start + len)
    this.pos += len
    return s
  }

  /** The UTF-8 string in `buf[start, end)` (checked as `utf8` says). */
  stringAt(start: number, end: number): string {
    if (this.#strict && !isUtf8(this.buf.subarray(start, end))) {
      this.fail('utf8', 'string is not valid UTF-8', { offset: start })
    }
    return this.#nb.toString('utf8', start, end)
  }

  /** Skip a field's value of wire type `wire`. */
  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.#varint()
        return
      case 1:
        this.#need(8)
        this.pos += 8
        return
      case 2: {
        // not `this.pos += this.len()`: that adds to the position before the length was read
        const n = this.len()
        this.pos += n
        return
      }
      case 5:
        this.#need(4)
        this.pos += 4
        return
      default:
        this.fail('wire-type', `unsupported wire type ${wire}`, { wire })
    }
  }

  /** A known field must have wire type `want`; anything else is malformed input. */
  expect(wire: number, want: number, field?: number): void {
    if (wire !== want) {
      const which = field === undefined ? 'a field' : `field ${field}`
      this.fail('wire-type', `${which} has wire type ${wire} where ${want} was expected`, {
        wire,
        ...(field === undefined ? {} : { field }),
      })
    }
  }

  #need(n: number): void {
    if (n > this.end - this.pos) this.fail('truncated', 'fixed-width field runs past the end')
  }
}
