import { Bitmap, MAX_BITS } from '@libnetwork/bitseq'
import { BadRequestError, ConflictError, NotFoundError, UnavailableError } from '@libnetwork/types'

export interface IdmOptions {
  /** Smallest id handed out (inclusive), a safe integer >= 0. */
  start: number
  /** Largest id handed out (inclusive), >= start; the range holds at most 2^53 - 1 ids. */
  end: number
}

const MAGIC = 0x69
const FORMAT = 1

function isId(n: unknown): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= 0
}

/**
 * Allocates integer ids in `[start, end]` (VXLAN ids, VLAN ids, indexes) over a bitseq Bitmap.
 * Pure and in memory; `toBytes()` / `Idm.fromBytes()` for whoever persists it.
 */
export class Idm {
  readonly start: number
  readonly end: number
  private readonly bm: Bitmap

  constructor(options: IdmOptions) {
    const { start, end } = options ?? ({} as IdmOptions)
    if (!isId(start) || !isId(end) || end < start) {
      throw new BadRequestError(
        'invalid-range',
        `invalid id range [${String(start)}, ${String(end)}]: need whole numbers 0 <= start <= end`,
        { details: { start: String(start), end: String(end) } },
      )
    }
    if (end - start + 1 > MAX_BITS) {
      throw new BadRequestError(
        'invalid-range',
        `invalid id range [${start}, ${end}]: it holds ${end - start + 1} ids, at most ${MAX_BITS} (2^53 - 1) fit`,
        { details: { start: String(start), end: String(end), max: MAX_BITS } },
      )
    }
    this.start = start
    this.end = end
    this.bm = new Bitmap(end - start + 1)
  }

  /** The store version carried for compare-and-swap (see Bitmap.version). */
  get version(): number | undefined {
    return this.bm.version
  }
  set version(v: number | undefined) {
    this.bm.version = v
  }

  /** Ids still free. */
  get available(): number {
    return this.bm.unselected()
  }

  private ordinal(id: number): number {
    if (!isId(id) || id < this.start || id > this.end) {
      throw new BadRequestError(
        'id-out-of-range',
        `id ${String(id)} is outside [${this.start}, ${this.end}]`,
        { details: { id: String(id), start: this.start, end: this.end } },
      )
    }
    return id - this.start
  }

  /** The first free id, or with `serial` the next one after the last handed out (wrapping). */
  getId(serial = false): number {
    return this.getIdInRange(this.start, this.end, serial)
  }

  /** Reserve exactly `id`. ConflictError `id-in-use` if taken. */
  getSpecificId(id: number): void {
    const o = this.ordinal(id)
    if (this.bm.isSet(o)) {
      throw new ConflictError('id-in-use', `id ${id} is already in use`, { details: { id } })
    }
    this.bm.set(o)
  }

  /** A free id in `[a, b]` (inside [start, end]). UnavailableError `no-id-available` when full. */
  getIdInRange(a: number, b: number, serial = false): number {
    if (!isId(a) || !isId(b) || a < this.start || b > this.end || a > b) {
      throw new BadRequestError(
        'invalid-range',
        `requested range [${String(a)}, ${String(b)}] is not inside [${this.start}, ${this.end}]`,
        { details: { from: String(a), to: String(b), start: this.start, end: this.end } },
      )
    }
    const lo = a - this.start
    const hi = b - this.start
    if (this.bm.nextClear(lo, hi) < 0) {
      throw new UnavailableError('no-id-available', `no id available in [${a}, ${b}]`, {
        details: { from: a, to: b },
      })
    }
    return this.bm.setAnyInRange(lo, hi, serial) + this.start
  }

  isAllocated(id: number): boolean {
    return this.bm.isSet(this.ordinal(id))
  }

  /** Free `id`. NotFoundError `id-not-allocated` if it is not in use (upstream ignores that). */
  release(id: number): void {
    const o = this.ordinal(id)
    if (!this.bm.unset(o)) {
      throw new NotFoundError('id-not-allocated', `id ${id} is not allocated`, {
        details: { id },
      })
    }
  }

  /** Serialised form: 0x69, format 1, 8-byte start, then the bitmap's bytes. */
  toBytes(): Uint8Array {
    const body = this.bm.toBytes()
    const out = new Uint8Array(10 + body.length)
    out[0] = MAGIC
    out[1] = FORMAT
    new DataView(out.buffer).setFloat64(2, this.start)
    out.set(body, 10)
    return out
  }

  static fromBytes(bytes: Uint8Array, options: { version?: number } = {}): Idm {
    const bad = (why: string, cause?: unknown): never => {
      throw new BadRequestError('invalid-idm', `invalid serialised id set: ${why}`, {
        details: { reason: why },
        cause,
      })
    }
    if (!(bytes instanceof Uint8Array) || bytes.length < 10) bad('truncated')
    if (bytes[0] !== MAGIC || bytes[1] !== FORMAT) bad('bad magic or format')
    const start = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(2)
    if (!isId(start)) bad(`bad start ${String(start)}`)
    let bm: Bitmap | undefined
    try {
      bm = Bitmap.fromBytes(bytes.subarray(10), options)
    } catch (cause) {
      bad((cause as Error).message, cause)
    }
    const end = start + bm!.bits - 1
    if (!isId(end)) bad('range too large')
    const out = Object.create(Idm.prototype) as Idm
    Object.assign(out, { start, end, bm })
    return out
  }

  clone(): Idm {
    const out = Object.create(Idm.prototype) as Idm
    Object.assign(out, { start: this.start, end: this.end, bm: this.bm.clone() })
    return out
  }
}
