/**
 * The serialised form of a Bitmap: compact, self-checking bytes a store can keep.
 *
 *   byte 0    0x62 ('b'), magic
 *   byte 1    format version (1)
 *   varint    number of bits
 *   varint    serial cursor
 *   varint    number of runs
 *   per run   word (4 bytes, little endian), then varint count of words
 *
 * Varints are unsigned LEB128 (7 bits per byte, low first), up to 2^53.
 */
import { BadRequestError } from '@libnetwork/types'
import { RunList } from './runs.js'
import { popcount } from './popcount.js'

const MAGIC = 0x62
const FORMAT = 1

class Writer {
  buf = new Uint8Array(64)
  len = 0
  private room(n: number): void {
    if (this.len + n <= this.buf.length) return
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.len + n))
    next.set(this.buf.subarray(0, this.len))
    this.buf = next
  }
  byte(b: number): void {
    this.room(1)
    this.buf[this.len++] = b
  }
  varint(n: number): void {
    this.room(8)
    while (n >= 128) {
      this.buf[this.len++] = (n % 128) | 128
      n = Math.floor(n / 128)
    }
    this.buf[this.len++] = n
  }
  u32(n: number): void {
    this.room(4)
    const b = this.buf
    b[this.len] = n & 255
    b[this.len + 1] = (n >>> 8) & 255
    b[this.len + 2] = (n >>> 16) & 255
    b[this.len + 3] = n >>> 24
    this.len += 4
  }
}

function bad(why: string): never {
  throw new BadRequestError('invalid-bitmap', `invalid serialised bitmap: ${why}`, {
    details: { reason: why },
  })
}

class Reader {
  pos = 0
  constructor(readonly buf: Uint8Array) {}
  byte(): number {
    if (this.pos >= this.buf.length) bad('truncated')
    return this.buf[this.pos++]!
  }
  varint(): number {
    let n = 0
    let scale = 1
    for (let i = 0; ; i++) {
      if (i >= 8) bad('varint too long')
      const b = this.byte()
      n += (b & 127) * scale
      if (b < 128) break
      scale *= 128
    }
    if (!Number.isSafeInteger(n)) bad('number too large')
    return n
  }
  u32(): number {
    if (this.pos + 4 > this.buf.length) bad('truncated')
    const b = this.buf
    const p = this.pos
    this.pos += 4
    return (b[p]! | (b[p + 1]! << 8) | (b[p + 2]! << 16) | (b[p + 3]! << 24)) >>> 0
  }
}

export interface EncodableBitmap {
  readonly bits: number
  readonly cursor: number
  readonly runCount: number
  entries(): Iterable<[number, number, number]>
}

export function encode(bm: EncodableBitmap): Uint8Array {
  const w = new Writer()
  w.byte(MAGIC)
  w.byte(FORMAT)
  w.varint(bm.bits)
  w.varint(bm.cursor)
  w.varint(bm.runCount)
  for (const [, word, count] of bm.entries()) {
    w.u32(word)
    w.varint(count)
  }
  return w.buf.slice(0, w.len)
}

export interface DecodedParts {
  bits: number
  curr: number
  runs: RunList
  free: number
}

/** Parse bytes written by encode(). Structural checks only; Bitmap.check() does the rest. */
export function decode(bytes: Uint8Array): DecodedParts {
  if (!(bytes instanceof Uint8Array)) bad('expected a Uint8Array')
  const r = new Reader(bytes)
  if (r.byte() !== MAGIC) bad('bad magic byte')
  const format = r.byte()
  if (format !== FORMAT) bad(`unknown format version ${format}`)
  const bits = r.varint()
  if (bits < 1) bad('zero bits')
  const curr = r.varint()
  const n = r.varint()
  const nWords = Math.ceil(bits / 32)
  if (n < 1 || n > nWords) bad(`${n} runs for ${nWords} words`)
  if (n * 5 > bytes.length) bad('truncated')
  const runs = new RunList(nWords)
  let start = 0
  let setBits = 0
  for (let i = 0; i < n; i++) {
    const word = r.u32()
    const count = r.varint()
    if (count < 1 || start + count > nWords) bad(`run ${i} overflows the bitmap`)
    runs.push(start, word)
    setBits += popcount(word) * count
    start += count
  }
  if (start !== nWords) bad(`runs cover ${start} of ${nWords} words`)
  if (r.pos !== bytes.length) bad('trailing bytes')
  const pad = bits % 32 === 0 ? 0 : (0xffffffff << (bits % 32)) >>> 0
  return { bits, curr, runs, free: bits - (setBits - popcount(pad)) }
}
