/**
 * A small msgpack encoder/decoder for the dialect hashicorp/go-msgpack writes for memberlist:
 * maps keyed by Go field names, strings and byte slices both in the old "raw" family
 * (fixstr, raw16 `da`, raw32 `db`; never str8 or bin), nil `c0` distinct from empty `a0`, and
 * non-negative integers in their smallest unsigned form. The decoder also accepts str8, bin,
 * signed integers, floats and arrays, as newer encoders write them.
 */
import { WireError, IncompleteError } from './errors.js'

const utf8enc = new TextEncoder()

/** Field values our encoder writes. `null` is msgpack nil. */
export type MsgpackValue = number | boolean | null | Uint8Array | string

/** Accumulates msgpack bytes. */
export class MsgpackWriter {
  private buf = new Uint8Array(256)
  private len = 0

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.len + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }

  byte(b: number): this {
    this.ensure(1)
    this.buf[this.len++] = b & 0xff
    return this
  }

  bytes(b: Uint8Array): this {
    this.ensure(b.length)
    this.buf.set(b, this.len)
    this.len += b.length
    return this
  }

  private be(value: number, width: number): void {
    this.ensure(width)
    for (let i = width - 1; i >= 0; i--) {
      this.buf[this.len + i] = value & 0xff
      value = Math.floor(value / 256)
    }
    this.len += width
  }

  mapHeader(count: number): this {
    if (count < 16) return this.byte(0x80 | count)
    if (count < 0x10000) {
      this.byte(0xde)
      this.be(count, 2)
      return this
    }
    this.byte(0xdf)
    this.be(count, 4)
    return this
  }

  /** A non-negative integer in its smallest unsigned form. */
  uint(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new WireError('msgpack-int', `cannot encode ${n} as an unsigned integer`)
    }
    if (n < 0x80) return this.byte(n)
    if (n < 0x100) return this.byte(0xcc).byte(n)
    if (n < 0x10000) {
      this.byte(0xcd)
      this.be(n, 2)
    } else if (n < 0x100000000) {
      this.byte(0xce)
      this.be(n, 4)
    } else {
      this.byte(0xcf)
      this.be(n, 8)
    }
    return this
  }

  bool(v: boolean): this {
    return this.byte(v ? 0xc3 : 0xc2)
  }

  nil(): this {
    return this.byte(0xc0)
  }

  /** Raw bytes (or UTF-8 text) in the old raw form; `null` writes nil. */
  raw(v: Uint8Array | string | null): this {
    if (v === null) return this.nil()
    const b = typeof v === 'string' ? utf8enc.encode(v) : v
    if (b.length < 32) this.byte(0xa0 | b.length)
    else if (b.length < 0x10000) {
      this.byte(0xda)
      this.be(b.length, 2)
    } else {
      this.byte(0xdb)
      this.be(b.length, 4)
    }
    return this.bytes(b)
  }

  /** A map of Go-named fields, written in the order given (callers pass them sorted). */
  fields(entries: readonly (readonly [string, MsgpackValue])[]): this {
    this.mapHeader(entries.length)
    for (const [k, v] of entries) {
      this.raw(k)
      if (typeof v === 'number') this.uint(v)
      else if (typeof v === 'boolean') this.bool(v)
      else this.raw(v)
    }
    return this
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len)
  }
}

/** Decoded values: raw/str/bin stay as bytes, maps become plain records. */
export type Decoded = number | boolean | null | Uint8Array | Decoded[] | DecodedMap
export interface DecodedMap {
  [key: string]: Decoded
}

const MAX_DEPTH = 16
const utf8 = new TextDecoder('utf-8', { fatal: false })

/** Map keys are short ASCII Go field names: decode those without TextDecoder. */
function keyString(k: Uint8Array): string {
  if (k.length > 24) return utf8.decode(k)
  let s = ''
  for (let i = 0; i < k.length; i++) {
    const c = k[i]!
    if (c >= 0x80) return utf8.decode(k)
    s += String.fromCharCode(c)
  }
  return s
}

/** Reads msgpack values from a buffer, tracking the offset. */
export class MsgpackReader {
  offset: number
  constructor(
    readonly buf: Uint8Array,
    offset = 0,
  ) {
    this.offset = offset
  }

  private need(n: number): void {
    if (this.offset + n > this.buf.length) {
      throw new IncompleteError(this.offset + n - this.buf.length)
    }
  }

  private u8(): number {
    this.need(1)
    return this.buf[this.offset++]!
  }

  private be(width: number): number {
    this.need(width)
    let v = 0
    for (let i = 0; i < width; i++) v = v * 256 + this.buf[this.offset + i]!
    this.offset += width
    return v
  }

  private signed(width: number): number {
    const v = this.be(width)
    const bits = 2 ** (width * 8)
    return v >= bits / 2 ? v - bits : v
  }

  private rawOf(len: number): Uint8Array {
    this.need(len)
    const out = this.buf.slice(this.offset, this.offset + len)
    this.offset += len
    return out
  }

  value(depth = 0): Decoded {
    if (depth > MAX_DEPTH) throw new WireError('msgpack-depth', 'msgpack nesting too deep')
    const t = this.u8()
    if (t < 0x80) return t
    if (t >= 0xe0) return t - 0x100
    if (t >= 0xa0 && t <= 0xbf) return this.rawOf(t & 0x1f)
    if (t >= 0x80 && t <= 0x8f) return this.map(t & 0x0f, depth)
    if (t >= 0x90 && t <= 0x9f) return this.array(t & 0x0f, depth)
    switch (t) {
      case 0xc0:
        return null
      case 0xc2:
        return false
      case 0xc3:
        return true
      case 0xc4:
      case 0xd9:
        return this.rawOf(this.be(1))
      case 0xc5:
      case 0xda:
        return this.rawOf(this.be(2))
      case 0xc6:
      case 0xdb:
        return this.rawOf(this.be(4))
      case 0xcc:
        return this.be(1)
      case 0xcd:
        return this.be(2)
      case 0xce:
        return this.be(4)
      case 0xcf: {
        const v = this.be(8)
        return v
      }
      case 0xd0:
        return this.signed(1)
      case 0xd1:
        return this.signed(2)
      case 0xd2:
        return this.signed(4)
      case 0xd3:
        return this.signed(8)
      case 0xca: {
        this.need(4)
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.offset, 4).getFloat32(0)
        this.offset += 4
        return v
      }
      case 0xcb: {
        this.need(8)
        const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.offset, 8).getFloat64(0)
        this.offset += 8
        return v
      }
      case 0xdc:
        return this.array(this.be(2), depth)
      case 0xdd:
        return this.array(this.be(4), depth)
      case 0xde:
        return this.map(this.be(2), depth)
      case 0xdf:
        return this.map(this.be(4), depth)
      default:
        throw new WireError('msgpack-type', `unsupported msgpack type byte 0x${t.toString(16)}`)
    }
  }

  private array(n: number, depth: number): Decoded[] {
    // every element takes at least one byte: refuse counts the buffer cannot hold
    this.need(n)
    const out: Decoded[] = []
    for (let i = 0; i < n; i++) out.push(this.value(depth + 1))
    return out
  }

  private map(n: number, depth: number): DecodedMap {
    this.need(n * 2)
    const out: DecodedMap = Object.create(null) as DecodedMap
    for (let i = 0; i < n; i++) {
      const k = this.value(depth + 1)
      if (!(k instanceof Uint8Array)) {
        throw new WireError('msgpack-key', 'msgpack map key is not a string')
      }
      out[keyString(k)] = this.value(depth + 1)
    }
    return out
  }

  /** Reads one value that must be a map. */
  readMap(): DecodedMap {
    const v = this.value()
    if (v === null || typeof v !== 'object' || v instanceof Uint8Array || Array.isArray(v)) {
      throw new WireError('msgpack-map', 'expected a msgpack map')
    }
    return v
  }
}

/** Field accessors that raise typed errors for missing or mistyped fields. */
export function fieldUint(m: DecodedMap, key: string, optional = false): number {
  const v = m[key]
  if (v === undefined && optional) return 0
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new WireError('msgpack-field', `field ${key} is not an unsigned integer`)
  }
  return v
}

export function fieldBool(m: DecodedMap, key: string): boolean {
  const v = m[key]
  if (v === undefined || v === null) return false
  if (typeof v !== 'boolean') throw new WireError('msgpack-field', `field ${key} is not a bool`)
  return v
}

export function fieldBytes(m: DecodedMap, key: string): Uint8Array | null {
  const v = m[key]
  if (v === undefined || v === null) return null
  if (!(v instanceof Uint8Array)) {
    throw new WireError('msgpack-field', `field ${key} is not a byte string`)
  }
  return v
}

export function fieldString(m: DecodedMap, key: string): string {
  const v = fieldBytes(m, key)
  return v === null ? '' : utf8.decode(v)
}
