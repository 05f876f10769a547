/**
 * Writes protobuf wire bytes into one buffer. Give the size when you know it (the sizing
 * helpers below make that cheap) and the writer never copies; otherwise it grows by doubling.
 * The `…Field` methods follow proto3: zero numbers, false and empty strings and bytes are left
 * out; `messageField` and `repeatedString` write every element, empty ones too.
 */
import { badValue } from './errors.js'

const enc = new TextEncoder()

/** Bytes a varint of `v` takes (negative int32/int64 values: 10). */
export function varintSize(v: number): number {
  if (v < 0) return 10
  let n = 1
  while (v >= 0x80) {
    v = Math.floor(v / 128)
    n++
  }
  return n
}

/** Bytes the key of field `field` takes. */
export const tagSize = (field: number): number => varintSize(field * 8)

/** UTF-8 byte length of a string (no encoding for ASCII). */
export function utf8Size(s: string): number {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) return Buffer.byteLength(s, 'utf8')
  }
  return s.length
}

/** Bytes of a length-delimited field holding `len` bytes (field 1 to 15 by default). */
export const fieldSize = (len: number, field = 1): number => tagSize(field) + varintSize(len) + len

export class ProtoWriter {
  buf: Uint8Array
  pos = 0

  /** `size`: the bytes that will be written, when known (then no copy is ever made). */
  constructor(size = 64) {
    this.buf = ProtoWriter.#alloc(size)
  }

  static #alloc(size: number): Uint8Array {
    // small buffers come from Node's shared pool: far cheaper than one ArrayBuffer each
    return size < 4096 ? Buffer.allocUnsafe(size) : new Uint8Array(size)
  }

  #room(n: number): void {
    if (this.pos + n <= this.buf.length) return
    const next = ProtoWriter.#alloc(Math.max(this.buf.length * 2, this.pos + n))
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
  }

  /** An unsigned varint: a non-negative safe integer. */
  varint(v: number): this {
    if (!(v >= 0 && v <= Number.MAX_SAFE_INTEGER && Number.isInteger(v))) {
      throw badValue(`cannot encode ${v} as an unsigned varint`, v)
    }
    if (this.pos + 10 > this.buf.length) this.#room(varintSize(v))
    const b = this.buf
    while (v >= 0x80) {
      b[this.pos++] = (v & 0x7f) | 0x80
      v = v > 0x7fffffff ? Math.floor(v / 128) : v >>> 7
    }
    b[this.pos++] = v
    return this
  }

  /** An int32 varint: negative values as 64-bit two's complement (10 bytes), as protobuf does. */
  int32(v: number): this {
    if (!(Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff)) {
      throw badValue(`cannot encode ${v} as an int32`, v)
    }
    return v < 0 ? this.uint64(BigInt.asUintN(64, BigInt(v))) : this.varint(v)
  }

  /** An unsigned 64-bit varint. */
  uint64(v: bigint): this {
    if (v < 0n || v > 0xffffffffffffffffn) {
      throw badValue(`cannot encode ${v} as a uint64`, String(v))
    }
    if (this.pos + 10 > this.buf.length) {
      let n = 1
      for (let x = v; x >= 0x80n; x >>= 7n) n++
      this.#room(n)
    }
    const b = this.buf
    while (v >= 0x80n) {
      b[this.pos++] = Number(v & 0x7fn) | 0x80
      v >>= 7n
    }
    b[this.pos++] = Number(v)
    return this
  }

  /** The key of field `field` with wire type `wire`. */
  tag(field: number, wire: number): this {
    if (field < 16) {
      this.#room(1)
      this.buf[this.pos++] = (field << 3) | wire
      return this
    }
    return this.varint(field * 8 + wire)
  }

  /** Bytes with their length in front (the value of a length-delimited field). */
  bytes(v: Uint8Array): this {
    this.varint(v.length)
    return this.raw(v)
  }

  /** Bytes as they are (no length in front). */
  raw(v: Uint8Array): this {
    this.#room(v.length)
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

  /** A string with its length in front; pass `size` (its UTF-8 length) if you computed it. */
  string(s: string, size = utf8Size(s)): this {
    this.varint(size)
    this.#room(size)
    if (size === s.length) {
      const b = this.buf
      for (let i = 0; i < s.length; i++) b[this.pos++] = s.charCodeAt(i)
    } else {
      enc.encodeInto(s, this.buf.subarray(this.pos, this.pos + size))
      this.pos += size
    }
    return this
  }

  /** A varint field, left out when 0 (proto3). */
  uintField(field: number, v: number): this {
    return v === 0 ? this : this.tag(field, 0).varint(v)
  }

  /** An int32 field, left out when 0 (proto3). */
  int32Field(field: number, v: number): this {
    return v === 0 ? this : this.tag(field, 0).int32(v)
  }

  /** A bool field, left out when false (proto3). */
  boolField(field: number, v: boolean): this {
    return v ? this.tag(field, 0).varint(1) : this
  }

  /** A string field, left out when empty (proto3). */
  stringField(field: number, s: string, size?: number): this {
    return s === '' ? this : this.tag(field, 2).string(s, size)
  }

  /** A bytes field, left out when empty (proto3). */
  bytesField(field: number, v: Uint8Array): this {
    return v.length === 0 ? this : this.tag(field, 2).bytes(v)
  }

  /** An embedded message or one element of a repeated bytes field: always written. */
  messageField(field: number, v: Uint8Array): this {
    return this.tag(field, 2).bytes(v)
  }

  /** Every element of a repeated string, empty ones included. */
  repeatedString(field: number, list: readonly string[]): this {
    for (const s of list) this.tag(field, 2).string(s)
    return this
  }

  /** The bytes written (a view when the buffer was larger). */
  finish(): Uint8Array {
    return this.pos === this.buf.length ? this.buf : this.buf.subarray(0, this.pos)
  }
}
