import { BadRequestError, ConflictError, InternalError, UnavailableError } from '@libnetwork/types'
import { RunList } from './runs.js'
import { popcount } from './popcount.js'
import { decode, encode } from './codec.js'

/** Largest bitmap: bit indices stay exact JavaScript integers. */
export const MAX_BITS = Number.MAX_SAFE_INTEGER

const FULL = 0xffffffff

function ctz(x: number): number {
  return 31 - Math.clz32(x & -x)
}

function wordOf(i: number): number {
  return i < 4294967296 ? i >>> 5 : Math.floor(i / 32)
}

/** Bits past the end of the bitmap in its last word are kept set, so they are never free. */
function padMask(bits: number): number {
  const r = bits % 32
  return r === 0 ? 0 : (FULL << r) >>> 0
}

/**
 * A bitmap of `bits` bits for allocating ordinals, stored as runs of identical 32-bit words.
 *
 * Memory follows the number of runs, not `bits`: an empty or full bitmap of 2^32 bits is one
 * run. Every operation is O(log runs). Pure: it never persists itself; serialise it with
 * `toBytes()` and load it with `Bitmap.fromBytes()`.
 */
export class Bitmap {
  /** Number of bits. */
  readonly bits: number
  /**
   * The store version this state was read at or written as (libnetwork's dbIndex), for
   * compare-and-swap by whoever persists the bitmap. bitseq carries it and never changes it.
   */
  version: number | undefined
  /** @internal */
  runs: RunList
  private free: number
  /** Where the next serial search starts: one past the last bit given out by setAny*. */
  private curr = 0

  constructor(bits: number) {
    if (!Number.isSafeInteger(bits) || bits < 1) {
      throw new BadRequestError(
        'invalid-size',
        `a bitmap needs a whole number of bits between 1 and ${MAX_BITS}, got ${String(bits)}`,
        { details: { bits: String(bits) } },
      )
    }
    this.bits = bits
    this.free = bits
    const nWords = Math.ceil(bits / 32)
    this.runs = new RunList(nWords)
    const pad = padMask(bits)
    if (pad === 0) this.runs.push(0, 0)
    else {
      if (nWords > 1) this.runs.push(0, 0)
      this.runs.push(nWords - 1, pad)
    }
  }

  /** Bits not set. */
  unselected(): number {
    return this.free
  }

  /** Bits set. */
  selected(): number {
    return this.bits - this.free
  }

  /** Position where the next serial allocation starts looking. */
  get cursor(): number {
    return this.curr
  }

  /** Number of runs of identical 32-bit words (the compressed size). */
  get runCount(): number {
    return this.runs.count
  }

  /** Bytes held by the run arrays. */
  get byteLength(): number {
    return this.runs.byteLength
  }

  private checkBit(i: number): void {
    if (!Number.isSafeInteger(i) || i < 0 || i >= this.bits) {
      throw new BadRequestError(
        'out-of-range',
        `bit ${String(i)} is out of range [0, ${this.bits - 1}]`,
        { details: { bit: String(i), bits: this.bits } },
      )
    }
  }

  private checkRange(start: number, end: number): void {
    if (
      !Number.isSafeInteger(start) ||
      !Number.isSafeInteger(end) ||
      start < 0 ||
      end < start ||
      end >= this.bits
    ) {
      throw new BadRequestError(
        'invalid-range',
        `invalid bit range [${String(start)}, ${String(end)}] for a bitmap of ${this.bits} bits`,
        { details: { start: String(start), end: String(end), bits: this.bits } },
      )
    }
  }

  isSet(i: number): boolean {
    this.checkBit(i)
    const w = wordOf(i)
    return ((this.runs.wordAt(w) >>> (i - w * 32)) & 1) === 1
  }

  /** Set bit `i`. Throws ConflictError `bit-already-set` if it is set. */
  set(i: number): void {
    this.checkBit(i)
    const w = wordOf(i)
    const word = this.runs.wordAt(w)
    const mask = 1 << (i - w * 32)
    if ((word & mask) !== 0) {
      throw new ConflictError('bit-already-set', `bit ${i} is already set`, {
        details: { bit: i },
      })
    }
    this.runs.update(w, (word | mask) >>> 0)
    this.free--
  }

  /** Clear bit `i`. Returns false (and changes nothing) when it was already clear, as upstream. */
  unset(i: number): boolean {
    this.checkBit(i)
    const w = wordOf(i)
    const word = this.runs.wordAt(w)
    const mask = 1 << (i - w * 32)
    if ((word & mask) === 0) return false
    this.runs.update(w, (word & ~mask) >>> 0)
    this.free++
    return true
  }

  /**
   * First clear bit in [from, end], or -1. Leaves the run cursor on the run holding it.
   * Query only: nothing changes.
   */
  nextClear(from: number, end: number = this.bits - 1): number {
    this.checkRange(from, end)
    return this.scan(from, end)
  }

  private scan(from: number, end: number): number {
    const runs = this.runs
    let w = wordOf(from)
    let b = from - w * 32
    runs.find(w)
    for (;;) {
      const word = runs.word()
      let x = ~word & (-1 << b)
      if (x !== 0) {
        const pos = w * 32 + ctz(x)
        return pos <= end ? pos : -1
      }
      if (w + 1 < runs.end()) {
        x = ~word
        if (x !== 0) {
          const pos = (w + 1) * 32 + ctz(x)
          return pos <= end ? pos : -1
        }
      }
      if (!runs.next()) return -1
      w = runs.start()
      b = 0
      if (w * 32 > end) return -1
    }
  }

  /** Set and return the first clear bit (serial: round-robin after the last one given out). */
  setAny(serial = false): number {
    return this.setAnyInRange(0, this.bits - 1, serial)
  }

  /**
   * Set and return a clear bit in [start, end]: the first one, or with `serial` the first at or
   * after the last one given out, wrapping to `start`. Throws UnavailableError
   * `no-bit-available` when the range is full.
   */
  setAnyInRange(start: number, end: number, serial = false): number {
    const pos = this.trySetAnyInRange(start, end, serial)
    if (pos < 0) {
      throw new UnavailableError('no-bit-available', `no bit available in [${start}, ${end}]`, {
        details: { start, end, bits: this.bits },
      })
    }
    return pos
  }

  /** Like setAnyInRange, but returns -1 instead of throwing when the range is full. */
  trySetAnyInRange(start: number, end: number, serial = false): number {
    this.checkRange(start, end)
    let pos = -1
    const curr = this.curr
    if (serial && curr > start && curr <= end) pos = this.scan(curr, end)
    if (pos < 0) pos = this.scan(start, end)
    if (pos < 0) return -1
    // scan() left the cursor on the run holding pos.
    const w = wordOf(pos)
    this.runs.update(w, (this.runs.word() | (1 << (pos - w * 32))) >>> 0)
    this.free--
    this.curr = pos + 1
    return pos
  }

  /** A deep copy (same version). */
  clone(): Bitmap {
    const out = Object.create(Bitmap.prototype) as Bitmap
    Object.assign(out, {
      bits: this.bits,
      version: this.version,
      runs: this.runs.clone(),
      free: this.free,
      curr: this.curr,
    })
    return out
  }

  /** True when both hold the same bits (cursor and version aside). */
  equals(other: Bitmap): boolean {
    if (other.bits !== this.bits || other.free !== this.free) return false
    const a = this.runs
    const b = other.runs
    a.first()
    b.first()
    for (;;) {
      if (a.start() !== b.start() || a.word() !== b.word()) return false
      const na = a.next()
      const nb = b.next()
      if (na !== nb) return false
      if (!na) return true
    }
  }

  /** Runs as [first word index, word, word count], in order. */
  *entries(): Generator<[start: number, word: number, count: number]> {
    const runs = this.runs
    if (runs.chunks.length === 0) return
    runs.first()
    for (;;) {
      const s = runs.start()
      const w = runs.word()
      const e = runs.end()
      const more = runs.next()
      yield [s, w, e - s]
      if (!more) return
    }
  }

  /**
   * Verify the invariants (runs ordered and maximal, padding bits set, counters right).
   * Throws InternalError `inconsistent-bitmap` naming the first broken one.
   */
  check(): void {
    const fail = (why: string): never => {
      throw new InternalError('inconsistent-bitmap', `inconsistent bitmap: ${why}`, {
        details: { bits: this.bits, reason: why },
      })
    }
    const nWords = this.runs.nWords
    let expectStart = 0
    let prevWord = -1
    let setBits = 0
    let last = 0
    for (const [s, w, count] of this.entries()) {
      if (s !== expectStart) fail(`run starts at word ${s}, expected ${expectStart}`)
      if (count < 1) fail(`empty run at word ${s}`)
      if (w === prevWord) fail(`runs at words ${s - 1} and ${s} hold the same word`)
      setBits += popcount(w) * count
      prevWord = w
      expectStart = s + count
      last = w
    }
    if (expectStart !== nWords) fail(`runs cover ${expectStart} words, expected ${nWords}`)
    const pad = padMask(this.bits)
    if ((last & pad) >>> 0 !== pad) fail('padding bits past the end are not set')
    setBits -= popcount(pad)
    if (this.bits - setBits !== this.free) {
      fail(`counts ${this.free} clear bits, holds ${this.bits - setBits}`)
    }
    if (this.curr < 0 || this.curr > this.bits) fail(`cursor ${this.curr} out of range`)
  }

  /** The compact serialised form (see codec.ts); `version` is not part of it. */
  toBytes(): Uint8Array {
    return encode(this)
  }

  /**
   * Load a bitmap from `toBytes()` output. Throws BadRequestError `invalid-bitmap` on
   * malformed or inconsistent bytes. `version` is the store version the bytes were read at.
   */
  static fromBytes(bytes: Uint8Array, options: { version?: number } = {}): Bitmap {
    const { bits, curr, runs, free } = decode(bytes)
    const out = Object.create(Bitmap.prototype) as Bitmap
    Object.assign(out, { bits, version: options.version, runs, free, curr })
    try {
      out.check()
    } catch (cause) {
      throw new BadRequestError(
        'invalid-bitmap',
        `invalid serialised bitmap: ${(cause as Error).message}`,
        { cause, details: { bits } },
      )
    }
    return out
  }
}
