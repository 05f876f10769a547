/**
 * Field by field, for small records where clarity beats speed: `for (const f of fields(buf))`
 * gives each field's number, wire type and value in wire order, and `f.string()`, `f.uint()`,
 * `f.bool()`, `f.bytes()` check the wire type a known field needs. Unknown fields are simply
 * not asked for; fixed-width ones are skipped on the way.
 */
import { ProtoReader, type ReaderOptions } from './reader.js'

/** One varint or length-delimited field of a message. */
export class WireField {
  readonly #r: ProtoReader
  readonly #value: number
  readonly #end: number

  /** `value`: a varint's value, or where a length-delimited value starts (it ends at `end`). */
  constructor(
    r: ProtoReader,
    readonly field: number,
    readonly wire: 0 | 2,
    value: number,
    end = 0,
  ) {
    this.#r = r
    this.#value = value
    this.#end = end
  }

  /** The value of a varint field. */
  uint(): number {
    this.#r.expect(this.wire, 0, this.field)
    return this.#value
  }

  /** A bool field (any non-zero varint is true). */
  bool(): boolean {
    return this.uint() !== 0
  }

  /** The value of a length-delimited field, as a view into the input. */
  bytes(): Uint8Array {
    this.#r.expect(this.wire, 2, this.field)
    return this.#r.buf.subarray(this.#value, this.#end)
  }

  /** A string field (UTF-8 checked as the reader's options say). */
  string(): string {
    this.#r.expect(this.wire, 2, this.field)
    return this.#r.stringAt(this.#value, this.#end)
  }
}

/**
 * The varint and length-delimited fields of a message in wire order (fixed-width fields are
 * skipped). Varints above 2^53 − 1 are refused; malformed input throws as the reader does.
 */
export function* fields(buf: Uint8Array, opts: ReaderOptions = {}): Generator<WireField> {
  const r = new ProtoReader(buf, opts)
  while (!r.done) {
    const t = r.tag()
    const field = t >>> 3
    const wire = t & 7
    if (wire === 0) yield new WireField(r, field, 0, r.uint())
    else if (wire === 2) {
      const len = r.len()
      yield new WireField(r, field, 2, r.pos, r.pos + len)
      r.pos += len
    } else r.skip(wire)
  }
}
