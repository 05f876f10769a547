/**
 * The few protobuf wire rules the endpoint record needs: varints, and length-delimited fields
 * (wire type 2). Hand-written: the record is small and fixed, so no schema library is needed.
 */
import { BadRequestError } from '@libnetwork/types'

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

/** Appends protobuf fields to a growing byte list. */
export class ProtoWriter {
  readonly #out: number[] = []

  varint(n: number): this {
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new BadRequestError('cluster.proto-varint', `cannot encode ${n} as a varint`, {
        details: { value: n },
      })
    }
    while (n > 0x7f) {
      this.#out.push((n % 0x80) | 0x80)
      n = Math.floor(n / 0x80)
    }
    this.#out.push(n)
    return this
  }

  /** A varint field; proto3 leaves zero out. */
  uintField(field: number, n: number): this {
    if (n === 0) return this
    return this.varint(field << 3).varint(n)
  }

  /** A length-delimited field from raw bytes (always written, even when empty). */
  bytesField(field: number, b: Uint8Array): this {
    this.varint((field << 3) | 2).varint(b.length)
    for (const x of b) this.#out.push(x)
    return this
  }

  /** A string field; proto3 leaves the empty string out. */
  stringField(field: number, s: string): this {
    if (s === '') return this
    return this.bytesField(field, utf8.encode(s))
  }

  /** Every element of a repeated string, empty ones included (as proto3 does). */
  repeatedString(field: number, list: readonly string[]): this {
    for (const s of list) this.bytesField(field, utf8.encode(s))
    return this
  }

  bytes(): Uint8Array {
    return Uint8Array.from(this.#out)
  }
}

export type WireValue = { wire: 0; n: number } | { wire: 2; bytes: Uint8Array }

function bad(reason: string, message: string, details: Record<string, unknown> = {}): never {
  throw new BadRequestError(`cluster.proto-${reason}`, message, { details })
}

/** Reads the fields of one message in wire order; unknown wire types 1 and 5 are skipped. */
export function* readFields(buf: Uint8Array): Generator<{ field: number; value: WireValue }> {
  let i = 0
  const varint = (): number => {
    let n = 0
    let mul = 1
    for (let k = 0; k < 10; k++) {
      if (i >= buf.length) bad('truncated', 'truncated varint', { offset: i })
      const b = buf[i++]!
      n += (b & 0x7f) * mul
      if (b < 0x80) {
        if (!Number.isSafeInteger(n)) bad('varint', 'varint is too large', { offset: i })
        return n
      }
      mul *= 0x80
    }
    return bad('varint', 'varint is longer than 10 bytes', { offset: i })
  }
  while (i < buf.length) {
    const key = varint()
    const field = Math.floor(key / 8)
    const wire = key % 8
    if (field === 0) bad('field', 'field number 0', { offset: i })
    if (wire === 0) {
      yield { field, value: { wire: 0, n: varint() } }
    } else if (wire === 2) {
      const len = varint()
      if (i + len > buf.length)
        bad('truncated', 'length-delimited field runs past the end', { field })
      yield { field, value: { wire: 2, bytes: buf.subarray(i, i + len) } }
      i += len
    } else if (wire === 1 || wire === 5) {
      const len = wire === 1 ? 8 : 4
      if (i + len > buf.length) bad('truncated', 'fixed-size field runs past the end', { field })
      i += len
    } else {
      bad('wire-type', `unsupported wire type ${wire}`, { field, wire })
    }
  }
}

export function asString(field: number, v: WireValue): string {
  if (v.wire !== 2) bad('wire-type', `field ${field} must be length-delimited`, { field })
  try {
    return fromUtf8.decode(v.bytes)
  } catch {
    return bad('utf8', `field ${field} is not valid UTF-8`, { field })
  }
}

export function asUint(field: number, v: WireValue): number {
  if (v.wire !== 0) bad('wire-type', `field ${field} must be a varint`, { field })
  return v.n
}

export function asBytes(field: number, v: WireValue): Uint8Array {
  if (v.wire !== 2) bad('wire-type', `field ${field} must be length-delimited`, { field })
  return v.bytes
}
