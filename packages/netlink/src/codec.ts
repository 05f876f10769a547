/**
 * Netlink wire format: 16-byte message headers and type-length-value attributes,
 * both padded to 4 bytes, in host byte order (little-endian on every Linux Node targets
 * except s390x, which this package does not support).
 */
import { NLMSG_HDRLEN } from './constants.js'

export const NLA_F_NESTED = 0x8000
const NLA_TYPE_MASK = 0x3fff

export const align4 = (n: number): number => (n + 3) & ~3

/** One decoded netlink message; `payload` is a view of the bytes after the header. */
export interface NetlinkMessage {
  type: number
  flags: number
  seq: number
  pid: number
  payload: Buffer
}

/** Builds one netlink message: header, fixed struct, then attributes (nested ones too). */
export class MessageWriter {
  private buf: Buffer
  private len = NLMSG_HDRLEN
  private readonly nests: number[] = []

  constructor(
    readonly type: number,
    readonly flags: number,
    size = 512,
  ) {
    this.buf = Buffer.alloc(size)
  }

  private reserve(n: number): number {
    const at = this.len
    const need = at + align4(n)
    if (need > this.buf.length) {
      const next = Buffer.alloc(Math.max(need, this.buf.length * 2))
      this.buf.copy(next, 0, 0, at)
      this.buf = next
    }
    this.len = need
    return at
  }

  /** Raw bytes of the fixed header struct (ifinfomsg, rtmsg, …), padded to 4. */
  struct(bytes: Uint8Array): this {
    const at = this.reserve(bytes.length)
    this.buf.set(bytes, at)
    return this
  }

  attr(type: number, data: Uint8Array): this {
    const at = this.reserve(4 + data.length)
    this.buf.writeUInt16LE(4 + data.length, at)
    this.buf.writeUInt16LE(type, at + 2)
    this.buf.set(data, at + 4)
    return this
  }

  flag(type: number): this {
    return this.attr(type, new Uint8Array(0))
  }

  u8(type: number, v: number): this {
    return this.attr(type, Uint8Array.of(v & 0xff))
  }

  u16(type: number, v: number): this {
    const b = Buffer.alloc(2)
    b.writeUInt16LE(v)
    return this.attr(type, b)
  }

  be16(type: number, v: number): this {
    const b = Buffer.alloc(2)
    b.writeUInt16BE(v)
    return this.attr(type, b)
  }

  u32(type: number, v: number): this {
    const b = Buffer.alloc(4)
    b.writeUInt32LE(v >>> 0)
    return this.attr(type, b)
  }

  i32(type: number, v: number): this {
    const b = Buffer.alloc(4)
    b.writeInt32LE(v)
    return this.attr(type, b)
  }

  /** A NUL-terminated string attribute. */
  str(type: number, v: string): this {
    return this.attr(type, Buffer.from(v + '\0', 'utf8'))
  }

  /** Open a nested attribute; close it with `end()`. */
  begin(type: number): this {
    const at = this.reserve(4)
    this.buf.writeUInt16LE(type | NLA_F_NESTED, at + 2)
    this.nests.push(at)
    return this
  }

  end(): this {
    const at = this.nests.pop()
    if (at === undefined) throw new Error('end() without begin()')
    this.buf.writeUInt16LE(this.len - at, at)
    return this
  }

  /** The finished message with length, type, flags, sequence and port id filled in. */
  finish(seq: number, pid = 0): Buffer {
    if (this.nests.length) throw new Error('unclosed nested attribute')
    const b = this.buf
    b.writeUInt32LE(this.len, 0)
    b.writeUInt16LE(this.type, 4)
    b.writeUInt16LE(this.flags, 6)
    b.writeUInt32LE(seq >>> 0, 8)
    b.writeUInt32LE(pid >>> 0, 12)
    return b.subarray(0, this.len)
  }
}

/** Split a datagram into netlink messages. Truncated trailing bytes are ignored. */
export function parseMessages(buf: Buffer): NetlinkMessage[] {
  const out: NetlinkMessage[] = []
  let off = 0
  while (off + NLMSG_HDRLEN <= buf.length) {
    const len = buf.readUInt32LE(off)
    if (len < NLMSG_HDRLEN || off + len > buf.length) break
    out.push({
      type: buf.readUInt16LE(off + 4),
      flags: buf.readUInt16LE(off + 6),
      seq: buf.readUInt32LE(off + 8),
      pid: buf.readUInt32LE(off + 12),
      payload: buf.subarray(off + NLMSG_HDRLEN, off + len),
    })
    off += align4(len)
  }
  return out
}

/** Attributes by type (nested and byte-order flags stripped); the last one wins. */
export type Attrs = Map<number, Buffer>

/** Parse attributes between `start` and `end`; with `only`, keep just those types (faster). */
export function parseAttrs(
  buf: Buffer,
  start = 0,
  end = buf.length,
  only?: ReadonlySet<number>,
): Attrs {
  const out: Attrs = new Map()
  let off = start
  while (off + 4 <= end) {
    // Plain byte arithmetic: this loop runs ~50 times per link in a dump.
    const len = buf[off]! | (buf[off + 1]! << 8)
    if (len < 4 || off + len > end) break
    const type = (buf[off + 2]! | (buf[off + 3]! << 8)) & NLA_TYPE_MASK
    if (!only || only.has(type)) out.set(type, buf.subarray(off + 4, off + len))
    off += align4(len)
  }
  return out
}

export function attrString(a: Buffer | undefined): string | undefined {
  if (!a) return undefined
  const nul = a.indexOf(0)
  return a.toString('utf8', 0, nul < 0 ? a.length : nul)
}

export function attrU32(a: Buffer | undefined): number | undefined {
  return a && a.length >= 4 ? a.readUInt32LE(0) : undefined
}

export function attrU16(a: Buffer | undefined): number | undefined {
  return a && a.length >= 2 ? a.readUInt16LE(0) : undefined
}

export function attrU8(a: Buffer | undefined): number | undefined {
  return a && a.length >= 1 ? a.readUInt8(0) : undefined
}
