/**
 * A minimal protobuf (proto3) reader and writer for NetworkDB's few messages: varints, strings,
 * bytes, and skipping unknown fields. Hand-written so the package needs no protobuf library.
 */
import { BadRequestError } from '@libnetwork/types'

const enc = new TextEncoder()

function malformed(what: string, why: string, length: number): BadRequestError {
  return new BadRequestError('networkdb.malformed-message', `malformed ${what}: ${why}`, {
    details: { what, length },
  })
}

/** Reads fields of one message; throws BadRequestError on truncated or invalid input. */
export class PbReader {
  pos: number
  readonly end: number
  /** The same bytes as a Buffer, for Node's native string decoding and copies. */
  readonly #nb: Buffer
  constructor(
    readonly buf: Uint8Array,
    readonly what: string,
    start = 0,
    end = buf.length,
  ) {
    this.pos = start
    this.end = end
    this.#nb = Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength)
  }

  #fail(why: string): never {
    throw malformed(this.what, why, this.buf.length)
  }

  get done(): boolean {
    return this.pos >= this.end
  }

  /** A varint as two 32-bit halves (the low one unsigned). */
  #varint(): [number, number] {
    const b = this.buf
    let lo = 0
    let hi = 0
    let i = 0
    for (; i < 10; i++) {
      if (this.pos >= this.end) this.#fail('truncated varint')
      const x = b[this.pos++]!
      if (i < 4) lo |= (x & 0x7f) << (7 * i)
      else if (i === 4) {
        lo |= (x & 0x0f) << 28
        hi |= (x & 0x7f) >> 4
      } else hi |= (x & 0x7f) << (7 * i - 32)
      if (x < 0x80) return [lo >>> 0, hi >>> 0]
    }
    this.#fail('varint longer than 10 bytes')
  }

  /** A field tag: field number << 3 | wire type. */
  tag(): number {
    const t = this.uint()
    if (t < 8 || t > 0xffffffff) this.#fail('invalid field tag')
    return t
  }

  /** An unsigned varint as a number (exact up to 2^53). */
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
    return hi * 0x1_0000_0000 + lo
  }

  /** An int32 varint (negative values take 10 bytes on the wire). */
  int32(): number {
    return this.#varint()[0] | 0
  }

  bool(): boolean {
    const [lo, hi] = this.#varint()
    return lo !== 0 || hi !== 0
  }

  /** The length of a length-delimited field; `pos` is left at its first byte. */
  len(): number {
    const len = this.uint()
    if (len > this.end - this.pos) this.#fail('truncated length-delimited field')
    return len
  }

  /** A length-delimited field as a view into the buffer (no copy). */
  view(): Uint8Array {
    const len = this.len()
    const v = this.buf.subarray(this.pos, this.pos + len)
    this.pos += len
    return v
  }

  /** A length-delimited field as a copy (small ones from Node's shared pool). */
  copy(): Uint8Array {
    const len = this.len()
    const v = Buffer.allocUnsafe(len)
    this.#nb.copy(v, 0, this.pos, this.pos + len)
    this.pos += len
    return v
  }

  /** A UTF-8 string (one flat string, decoded natively). */
  string(): string {
    const len = this.len()
    const s = this.#nb.toString('utf8', this.pos, this.pos + len)
    this.pos += len
    return s
  }

  /** Skip a field of this wire type. */
  skip(wire: number): void {
    switch (wire) {
      case 0:
        this.#varint()
        return
      case 1:
        this.#advance(8)
        return
      case 2:
        this.pos += this.len()
        return
      case 5:
        this.#advance(4)
        return
      default:
        this.#fail(`unsupported wire type ${wire}`)
    }
  }

  /** Check a known field's wire type; a mismatch is malformed input. */
  expect(wire: number, want: number): void {
    if (wire !== want) this.#fail(`wire type ${wire} where ${want} was expected`)
  }

  #advance(n: number): void {
    if (n > this.end - this.pos) this.#fail('truncated fixed-width field')
    this.pos += n
  }
}

/** Bytes a varint takes. */
export function varintSize(v: number): number {
  if (v < 0) return 10
  let n = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

/** UTF-8 byte length of a string (fast for ASCII). */
export function utf8Size(s: string): number {
  const n = s.length
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) return enc.encode(s).length
  }
  return n
}

/** Writes into a buffer sized in advance by the caller. */
export class PbWriter {
  readonly buf: Uint8Array
  pos = 0
  constructor(size: number) {
    // small buffers come from Node's shared pool: far cheaper than one ArrayBuffer each
    this.buf = size < 4096 ? Buffer.allocUnsafe(size) : new Uint8Array(size)
  }

  varint(v: number): this {
    const b = this.buf
    if (v < 0) {
      // int32 negatives: 64-bit two's complement, 10 bytes
      let x = BigInt.asUintN(64, BigInt(v))
      for (let i = 0; i < 9; i++) {
        b[this.pos++] = Number(x & 0x7fn) | 0x80
        x >>= 7n
      }
      b[this.pos++] = Number(x)
      return this
    }
    while (v >= 0x80) {
      b[this.pos++] = (v & 0x7f) | 0x80
      v = v > 0x7fffffff ? Math.floor(v / 128) : v >>> 7
    }
    b[this.pos++] = v
    return this
  }

  /** Tag byte(s) for field `n` and wire type `w` (all our fields are < 16: one byte). */
  tag(n: number, w: number): this {
    this.buf[this.pos++] = (n << 3) | w
    return this
  }

  bytes(v: Uint8Array): this {
    this.varint(v.length)
    const b = this.buf
    if (v.length < 256) {
      // small values by hand: `set` clones its source first when both share an ArrayBuffer,
      // as two slices of Node's buffer pool often do
      let p = this.pos
      for (let i = 0; i < v.length; i++) b[p++] = v[i]!
    } else b.set(v, this.pos)
    this.pos += v.length
    return this
  }

  /** Bytes as they are (no length prefix). */
  raw(v: Uint8Array): this {
    this.buf.set(v, this.pos)
    this.pos += v.length
    return this
  }

  /** A string whose UTF-8 size the caller computed. */
  string(s: string, size: number): this {
    this.varint(size)
    if (size === s.length) {
      const b = this.buf
      for (let i = 0; i < s.length; i++) b[this.pos++] = s.charCodeAt(i)
    } else {
      enc.encodeInto(s, this.buf.subarray(this.pos, this.pos + size))
      this.pos += size
    }
    return this
  }

  finish(): Uint8Array {
    return this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos)
  }
}

/** Size of a length-delimited field with a one-byte tag. */
export const fieldSize = (len: number): number => 1 + varintSize(len) + len
