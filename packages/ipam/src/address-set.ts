/**
 * The allocation state of one pool: which address offsets are taken.
 *
 * Offsets are bigints (an IPv6 /48 has 2^80 of them). The space is cut into segments of 2^32
 * offsets, each a bitseq Bitmap created only when something in it is taken: a /64 with a
 * hundred thousand addresses is one small bitmap, never a 2^64-bit array, and a sub-pool deep
 * inside a /48 costs only the segments it touches.
 */
import { Bitmap } from '@libnetwork/bitseq'
import { BadRequestError } from '@libnetwork/types'

const SEG = 4294967296
const SEG_N = 4294967296n
const LOW = 0xffffffffn
/** Largest set: every address of IPv6 (a ::/0 pool). */
const MAX_SIZE = 1n << 128n
/** Sets up to 2^85 offsets index their segments by number (fast); larger ones by bigint. */
const NUMBER_KEYS = 1n << 85n

const MAGIC = 0x61
const FORMAT = 1

type SegKey = number | bigint

export class AddressSet {
  /** Number of offsets, `0 … size-1`. */
  readonly size: bigint
  private readonly segs = new Map<SegKey, Bitmap>()
  /** Where a serial search starts: one past the last offset handed out by allocate(). */
  private curr = 0n
  /** Only segment 0 exists (size <= 2^32): offsets fit a number. */
  private readonly small: boolean
  private readonly numKeys: boolean
  private used = 0n

  constructor(size: bigint) {
    if (size < 1n || size > MAX_SIZE) {
      throw new BadRequestError('invalid-address-set', `an address set holds 1 to 2^128 offsets`, {
        details: { size: size.toString() },
      })
    }
    this.size = size
    this.small = size <= SEG_N
    this.numKeys = size <= NUMBER_KEYS
  }

  get count(): bigint {
    return this.used
  }

  get cursor(): bigint {
    return this.curr
  }

  /** The map key of segment `hi` (offset >> 32). */
  private key(hi: bigint): SegKey {
    return this.numKeys ? Number(hi) : hi
  }

  private segBits(hi: bigint): number {
    if (this.small) return Number(this.size)
    const rest = this.size - hi * SEG_N
    return rest >= SEG_N ? SEG : Number(rest)
  }

  /** The only segment of a small set (the hot path: no bigint on the way). */
  private seg0(): Bitmap {
    let bm = this.segs.get(0)
    if (bm === undefined) {
      bm = new Bitmap(Number(this.size))
      this.segs.set(0, bm)
    }
    return bm
  }

  private seg(hi: bigint): Bitmap {
    const k = this.key(hi)
    let bm = this.segs.get(k)
    if (bm === undefined) {
      bm = new Bitmap(this.segBits(hi))
      this.segs.set(k, bm)
    }
    return bm
  }

  has(o: bigint): boolean {
    if (this.small) {
      const bm = this.segs.get(0)
      return bm !== undefined && bm.isSet(Number(o))
    }
    const bm = this.segs.get(this.key(o >> 32n))
    return bm !== undefined && bm.isSet(Number(o & LOW))
  }

  /** Take offset `o`; false if it was already taken. */
  add(o: bigint): boolean {
    const bm = this.small ? this.seg0() : this.seg(o >> 32n)
    const lo = this.small ? Number(o) : Number(o & LOW)
    if (bm.isSet(lo)) return false
    bm.set(lo)
    this.used++
    return true
  }

  /** Free offset `o`; false if it was not taken. */
  delete(o: bigint): boolean {
    const hi = this.small ? 0 : this.key(o >> 32n)
    const bm = this.segs.get(hi)
    if (bm === undefined) return false
    if (!bm.unset(this.small ? Number(o) : Number(o & LOW))) return false
    this.used--
    if (!this.small && bm.unselected() === bm.bits) this.segs.delete(hi)
    return true
  }

  /** First free offset in [a, b], or -1n. */
  nextFree(a: bigint, b: bigint): bigint {
    if (this.small) {
      const bm = this.segs.get(0)
      if (bm === undefined) return a
      const p = bm.nextClear(Number(a), Number(b))
      return p < 0 ? -1n : BigInt(p)
    }
    const hiA = a >> 32n
    const hiB = b >> 32n
    for (let hi = hiA; hi <= hiB; hi++) {
      const from = hi === hiA ? Number(a & LOW) : 0
      const bm = this.segs.get(this.key(hi))
      if (bm === undefined) return hi * SEG_N + BigInt(from)
      const to = hi === hiB ? Number(b & LOW) : bm.bits - 1
      const p = bm.nextClear(from, to)
      if (p >= 0) return hi * SEG_N + BigInt(p)
    }
    return -1n
  }

  /**
   * Take a free offset in [a, b]: the lowest, or with `serial` the lowest after the last one
   * handed out (wrapping to `a`), as upstream bitseq does. -1n when the range is full.
   */
  allocate(a: bigint, b: bigint, serial: boolean): bigint {
    let o = -1n
    const curr = this.curr
    if (serial && curr > a && curr <= b) o = this.take(curr, b)
    if (o < 0n) o = this.take(a, b)
    if (o < 0n) return o
    this.used++
    this.curr = o + 1n
    return o
  }

  /** Find and set the first free offset in [a, b]; -1n if none. */
  private take(a: bigint, b: bigint): bigint {
    if (this.small) {
      const p = this.seg0().trySetAnyInRange(Number(a), Number(b))
      return p < 0 ? -1n : BigInt(p)
    }
    const hiA = a >> 32n
    const hiB = b >> 32n
    for (let hi = hiA; hi <= hiB; hi++) {
      const from = hi === hiA ? Number(a & LOW) : 0
      const bm = this.seg(hi)
      const to = hi === hiB ? Number(b & LOW) : bm.bits - 1
      const p = bm.trySetAnyInRange(from, to)
      if (p >= 0) return hi * SEG_N + BigInt(p)
      if (bm.unselected() === bm.bits) this.segs.delete(this.key(hi))
    }
    return -1n
  }

  /** Serialised form: 0x61, format 1, size, cursor, segment count, then (index, bitmap bytes). */
  encode(): Uint8Array {
    const parts: Uint8Array[] = []
    const head: number[] = [MAGIC, FORMAT]
    varint(head, this.size)
    varint(head, this.curr)
    varint(head, BigInt(this.segs.size))
    parts.push(Uint8Array.from(head))
    const ordered = [...this.segs].sort((x, y) => (BigInt(x[0]) < BigInt(y[0]) ? -1 : 1))
    for (const [hi, bm] of ordered) {
      const bytes = bm.toBytes()
      const h: number[] = []
      varint(h, BigInt(hi))
      varint(h, BigInt(bytes.length))
      parts.push(Uint8Array.from(h), bytes)
    }
    let len = 0
    for (const p of parts) len += p.length
    const out = new Uint8Array(len)
    let at = 0
    for (const p of parts) {
      out.set(p, at)
      at += p.length
    }
    return out
  }

  /**
   * Read a set written by `encode`. `size`: the pool's size; a set stored smaller (earlier
   * versions capped pools larger than 2^64 addresses at 2^64, in whole 2^32 segments) grows to it.
   */
  static decode(bytes: Uint8Array, size?: bigint): AddressSet {
    const r = { pos: 0 }
    const bad = (why: string, cause?: unknown): never => {
      throw new BadRequestError('invalid-address-set', `invalid serialised address set: ${why}`, {
        details: { reason: why },
        cause,
      })
    }
    if (bytes[0] !== MAGIC || bytes[1] !== FORMAT) bad('bad magic or format')
    r.pos = 2
    const stored = readVarint(bytes, r, bad)
    const curr = readVarint(bytes, r, bad)
    const n = readVarint(bytes, r, bad)
    if (stored < 1n || stored > MAX_SIZE || curr > stored) bad('bad size or cursor')
    const grow = size !== undefined && size > stored && stored % SEG_N === 0n
    const out = new AddressSet(grow ? size : stored)
    out.curr = curr
    let prev = -1n
    for (let i = 0n; i < n; i++) {
      const hi = readVarint(bytes, r, bad)
      const len = Number(readVarint(bytes, r, bad))
      if (hi <= prev || hi * SEG_N >= out.size) bad(`bad segment ${hi}`)
      if (r.pos + len > bytes.length) bad('truncated')
      let bm: Bitmap | undefined
      try {
        bm = Bitmap.fromBytes(bytes.subarray(r.pos, r.pos + len))
      } catch (cause) {
        bad(`segment ${hi}: ${(cause as Error).message}`, cause)
      }
      if (bm!.bits !== out.segBits(hi)) bad(`segment ${hi} has ${bm!.bits} bits`)
      r.pos += len
      out.segs.set(out.key(hi), bm!)
      out.used += BigInt(bm!.selected())
      prev = hi
    }
    if (r.pos !== bytes.length) bad('trailing bytes')
    return out
  }
}

function varint(out: number[], n: bigint): void {
  while (n >= 128n) {
    out.push(Number(n & 127n) | 128)
    n >>= 7n
  }
  out.push(Number(n))
}

function readVarint(b: Uint8Array, r: { pos: number }, bad: (why: string) => never): bigint {
  let n = 0n
  let shift = 0n
  for (;;) {
    if (r.pos >= b.length) bad('truncated')
    if (shift > 133n) bad('varint too long')
    const x = b[r.pos++]!
    n |= BigInt(x & 127) << shift
    if (x < 128) return n
    shift += 7n
  }
}
