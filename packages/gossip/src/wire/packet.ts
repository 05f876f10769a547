/**
 * Packet (UDP) framing: compound messages, LZW compression, CRC and encryption, in memberlist's
 * layer order on send (compress → CRC → encrypt) and the reverse on receive. The optional label
 * header (type 244, from newer memberlist) is written only when a label is configured.
 */
import { MsgpackReader, MsgpackWriter, fieldBytes, fieldUint } from './msgpack.js'
import { WireError } from './errors.js'
import { MessageType, decodeMessage, type Message } from './messages.js'
import { lzwCompress, lzwDecompress } from './lzw.js'
import { crc32 } from './crc32.js'
import type { Keyring } from './keyring.js'

/** Type byte of the label header of newer memberlist versions. */
export const LABEL_TYPE = 244
const MAX_NESTING = 4

/** Joins up to 255 encoded messages into one compound message (type 7). */
export function makeCompound(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length > 255) {
    throw new WireError('compound', 'a compound message holds at most 255 parts', {
      parts: parts.length,
    })
  }
  let size = 2 + parts.length * 2
  for (const p of parts) {
    if (p.length > 0xffff) throw new WireError('compound', 'a compound part is at most 65535 bytes')
    size += p.length
  }
  const out = new Uint8Array(size)
  out[0] = MessageType.compound
  out[1] = parts.length
  let o = 2
  for (const p of parts) {
    out[o++] = p.length >> 8
    out[o++] = p.length & 0xff
  }
  for (const p of parts) {
    out.set(p, o)
    o += p.length
  }
  return out
}

/** Splits a compound message; `truncated` counts parts whose bytes are missing. */
export function splitCompound(buf: Uint8Array): { parts: Uint8Array[]; truncated: number } {
  if (buf.length < 2 || buf[0] !== MessageType.compound) {
    throw new WireError('compound', 'truncated compound message')
  }
  const n = buf[1]!
  if (buf.length < 2 + n * 2) throw new WireError('compound', 'truncated compound length table')
  const parts: Uint8Array[] = []
  let o = 2 + n * 2
  for (let i = 0; i < n; i++) {
    const len = (buf[2 + i * 2]! << 8) | buf[3 + i * 2]!
    if (o + len > buf.length) return { parts, truncated: n - i }
    parts.push(buf.subarray(o, o + len))
    o += len
  }
  return { parts, truncated: 0 }
}

/** Wraps a message in a compress message (type 9, `{Algo: 0, Buf}`). */
export function compressMessage(msg: Uint8Array): Uint8Array {
  return new MsgpackWriter()
    .byte(MessageType.compress)
    .fields([
      ['Algo', 0],
      ['Buf', lzwCompress(msg)],
    ])
    .finish()
}

/** Reads a compress message map from `r` (after its type byte) and returns the inner bytes. */
export function readCompressed(r: MsgpackReader, maxOutput: number): Uint8Array {
  const m = r.readMap()
  const algo = fieldUint(m, 'Algo')
  if (algo !== 0) throw new WireError('compress', `unsupported compression algorithm ${algo}`)
  return lzwDecompress(fieldBytes(m, 'Buf') ?? new Uint8Array(0), maxOutput)
}

/** Prepends the hasCrc header (type 12, big-endian IEEE CRC of the rest). */
export function addCrc(msg: Uint8Array): Uint8Array {
  const out = new Uint8Array(5 + msg.length)
  out[0] = MessageType.hasCrc
  new DataView(out.buffer).setUint32(1, crc32(msg))
  out.set(msg, 5)
  return out
}

export function addLabel(buf: Uint8Array, label: string): Uint8Array {
  const l = new TextEncoder().encode(label)
  if (l.length === 0) return buf
  if (l.length > 255) throw new WireError('label', 'a label is at most 255 bytes')
  const out = new Uint8Array(2 + l.length + buf.length)
  out[0] = LABEL_TYPE
  out[1] = l.length
  out.set(l, 2)
  out.set(buf, 2 + l.length)
  return out
}

/** Removes a label header if present; returns the label ('' when none) and the rest. */
export function stripLabel(buf: Uint8Array): { label: string; rest: Uint8Array } {
  if (buf[0] !== LABEL_TYPE) return { label: '', rest: buf }
  if (buf.length < 2 || buf.length < 2 + buf[1]!) {
    throw new WireError('label', 'truncated label header')
  }
  const len = buf[1]!
  return {
    label: new TextDecoder().decode(buf.subarray(2, 2 + len)),
    rest: buf.subarray(2 + len),
  }
}

export interface PacketEncodeOptions {
  compress?: boolean
  /** Add a CRC (memberlist does when the peer's protocol max is ≥ 5 on addressed sends). */
  crc?: boolean
  keyring?: Keyring | undefined
  label?: string
  /** Fixed nonce, for reproducing fixtures. */
  nonce?: Uint8Array
}

/**
 * A lower bound of the compress message size for `n` input bytes: the i-th LZW code stands for
 * at most i bytes, so c codes cover at most c(c+1)/2 bytes; every code (plus clear and end) takes
 * at least 9 bits, and the `{Algo, Buf}` wrapper at least 13 bytes.
 */
export function minCompressedSize(n: number): number {
  const codes = Math.ceil((Math.sqrt(8 * n + 1) - 1) / 2)
  return 13 + Math.ceil((9 * (codes + 2)) / 8)
}

/** The compress message of `msg` when it is smaller, else `msg` itself. */
export function compressIfSmaller(msg: Uint8Array): Uint8Array {
  // skip the attempt when compression cannot win (pings, acks): same bytes, less CPU
  if (minCompressedSize(msg.length) >= msg.length) return msg
  const c = compressMessage(msg)
  return c.length < msg.length ? c : msg
}

/** Applies compress (only when smaller) → CRC → encrypt → label to one message. */
export function encodePacket(msg: Uint8Array, opts: PacketEncodeOptions = {}): Uint8Array {
  let buf = opts.compress ? compressIfSmaller(msg) : msg
  if (opts.crc) buf = addCrc(buf)
  if (opts.keyring && opts.keyring.size > 0) {
    const aad = opts.label ? new TextEncoder().encode(opts.label) : new Uint8Array(0)
    buf = opts.keyring.encrypt(buf, aad, opts.nonce ? { nonce: opts.nonce } : {})
  }
  if (opts.label) buf = addLabel(buf, opts.label)
  return buf
}

export interface PacketDecodeOptions {
  keyring?: Keyring | undefined
  /** Expected label ('' for none); a different label is refused. */
  label?: string
  maxDecompressed?: number
}

export interface DecodedPacket {
  messages: Message[]
  /** Compound parts lost to truncation. */
  truncated: number
  crc: boolean
  encrypted: boolean
  /** Compound parts that failed to decode (the other parts are still delivered). */
  errors: WireError[]
}

/** Peels label → encryption → CRC, then flattens compound/compress layers into messages. */
export function decodePacket(buf: Uint8Array, opts: PacketDecodeOptions = {}): DecodedPacket {
  const { label, rest } = stripLabel(buf)
  if (label !== (opts.label ?? '')) {
    throw new WireError('label', `packet label "${label}" does not match "${opts.label ?? ''}"`)
  }
  let data = rest
  let encrypted = false
  if (opts.keyring && opts.keyring.size > 0) {
    const aad = label ? new TextEncoder().encode(label) : new Uint8Array(0)
    data = opts.keyring.decrypt(data, aad)
    encrypted = true
  }
  let crc = false
  if (data[0] === MessageType.hasCrc) {
    if (data.length < 5) throw new WireError('crc', 'truncated CRC header')
    const want = new DataView(data.buffer, data.byteOffset + 1, 4).getUint32(0)
    data = data.subarray(5)
    if (crc32(data) !== want) throw new WireError('crc', 'CRC mismatch')
    crc = true
  }
  const out: DecodedPacket = { messages: [], truncated: 0, crc, encrypted, errors: [] }
  flatten(data, out, 0, opts.maxDecompressed ?? 1 << 20)
  return out
}

function flatten(buf: Uint8Array, out: DecodedPacket, depth: number, maxOut: number): void {
  if (depth > MAX_NESTING) throw new WireError('nesting', 'message layers nested too deeply')
  if (buf.length === 0) throw new WireError('empty', 'empty message')
  if (buf[0] === MessageType.compound) {
    const { parts, truncated } = splitCompound(buf)
    out.truncated += truncated
    for (const p of parts) {
      try {
        flatten(p, out, depth + 1, maxOut)
      } catch (err) {
        if (!(err instanceof WireError)) throw err
        out.errors.push(err)
      }
    }
    return
  }
  if (buf[0] === MessageType.compress) {
    const r = new MsgpackReader(buf, 1)
    flatten(readCompressed(r, maxOut), out, depth + 1, maxOut)
    return
  }
  out.messages.push(decodeMessage(buf))
}
