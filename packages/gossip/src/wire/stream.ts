/**
 * Stream (TCP) framing. Each direction of a connection carries one message: ping, ack, err,
 * push/pull (header map, node-state maps, raw user state) or a user message (header map, raw
 * payload). Compression wraps the whole message (always, when enabled); encryption wraps that
 * as `[10][u32 BE length][vsn][nonce][ciphertext][tag]` with the 5 header bytes as AAD.
 */
import { MsgpackReader, MsgpackWriter } from './msgpack.js'
import { IncompleteError, WireError } from './errors.js'
import {
  MessageType,
  decodeMessage,
  encodeMessage,
  readPushNodeState,
  readPushPullHeader,
  readUserMsgHeader,
  writePushNodeState,
  writePushPullHeader,
  writeUserMsgHeader,
  type AckMsg,
  type ErrMsg,
  type PingMsg,
  type PushNodeState,
} from './messages.js'
import { compressMessage, readCompressed, stripLabel, addLabel, LABEL_TYPE } from './packet.js'
import type { Keyring } from './keyring.js'

export interface PushPullStreamMsg {
  type: 'pushPull'
  join: boolean
  states: PushNodeState[]
  userState: Uint8Array
}
export interface UserStreamMsg {
  type: 'user'
  payload: Uint8Array
}
export type StreamMessage = PingMsg | AckMsg | ErrMsg | PushPullStreamMsg | UserStreamMsg

/** The plain bytes of a stream message, before compression and encryption. */
export function encodeStreamBody(m: StreamMessage): Uint8Array {
  if (m.type === 'pushPull') {
    const w = new MsgpackWriter().byte(MessageType.pushPull)
    writePushPullHeader(w, {
      join: m.join,
      nodes: m.states.length,
      userStateLen: m.userState.length,
    })
    for (const s of m.states) writePushNodeState(w, s)
    return w.bytes(m.userState).finish()
  }
  if (m.type === 'user') {
    const w = new MsgpackWriter().byte(MessageType.user)
    writeUserMsgHeader(w, m.payload.length)
    // one exact-size copy (a growing writer would copy a large payload several times)
    const head = w.finish()
    const out = new Uint8Array(head.length + m.payload.length)
    out.set(head)
    out.set(m.payload, head.length)
    return out
  }
  return encodeMessage(m)
}

export interface StreamEncodeOptions {
  compress?: boolean
  keyring?: Keyring | undefined
  label?: string
  nonce?: Uint8Array
}

/** Whole bytes of one stream direction: body → compress → encrypt → label. */
export function encodeStream(m: StreamMessage, opts: StreamEncodeOptions = {}): Uint8Array {
  return frameStreamBody(encodeStreamBody(m), opts)
}

/** Compress → encrypt → label of an encoded body (the compress message itself, if compressed). */
export function frameStreamBody(body: Uint8Array, opts: StreamEncodeOptions = {}): Uint8Array {
  let buf = body
  if (opts.compress) buf = compressMessage(buf)
  if (opts.keyring && opts.keyring.size > 0) {
    const key = opts.keyring
    // encrypted size = 1 vsn + 12 nonce + len + 16 tag
    const len = 1 + 12 + buf.length + 16
    const header = new Uint8Array(5)
    header[0] = MessageType.encrypt
    new DataView(header.buffer).setUint32(1, len)
    const enc = key.encrypt(buf, header, opts.nonce ? { nonce: opts.nonce } : {})
    const out = new Uint8Array(5 + enc.length)
    out.set(header)
    out.set(enc, 5)
    buf = out
  }
  if (opts.label) buf = addLabel(buf, opts.label)
  return buf
}

export interface StreamDecodeOptions {
  keyring?: Keyring | undefined
  label?: string
  /** Largest accepted stream message in bytes (before and after decompression). */
  maxSize?: number
}

export interface DecodedStream {
  message: StreamMessage
  /** Bytes of `buf` this message used. */
  consumed: number
  encrypted: boolean
  compressed: boolean
}

/**
 * Parses one stream message from the bytes received so far. Throws IncompleteError when more
 * bytes are needed (the caller waits for more), WireError when the bytes are bad.
 */
export function decodeStream(buf: Uint8Array, opts: StreamDecodeOptions = {}): DecodedStream {
  const maxSize = opts.maxSize ?? 20 * 1024 * 1024
  let offset = 0
  if (buf.length === 0) throw new IncompleteError(1)
  if (buf[0] === LABEL_TYPE) {
    if (buf.length < 2 || buf.length < 2 + buf[1]!) throw new IncompleteError(1)
    offset = 2 + buf[1]!
  }
  const { label } = stripLabel(buf.subarray(0, offset || buf.length))
  if (label !== (opts.label ?? '')) {
    throw new WireError('label', `stream label "${label}" does not match "${opts.label ?? ''}"`)
  }
  const encrypted = opts.keyring !== undefined && opts.keyring.size > 0
  if (encrypted) {
    if (buf.length <= offset) throw new IncompleteError(1)
    if (buf[offset] !== MessageType.encrypt) {
      throw new WireError('decrypt', 'expected an encrypted stream message')
    }
    if (buf.length < offset + 5) throw new IncompleteError(offset + 5 - buf.length)
    const len = new DataView(buf.buffer, buf.byteOffset + offset + 1, 4).getUint32(0)
    if (len > maxSize) {
      throw new WireError('size', `stream message of ${len} bytes exceeds ${maxSize}`, {
        size: len,
        limit: maxSize,
      })
    }
    if (buf.length < offset + 5 + len) throw new IncompleteError(offset + 5 + len - buf.length)
    const plain = opts.keyring!.decrypt(
      buf.subarray(offset + 5, offset + 5 + len),
      buf.subarray(offset, offset + 5),
    )
    const inner = decodeBody(plain, maxSize, true)
    return { ...inner, consumed: offset + 5 + len, encrypted }
  }
  if (buf[offset] === MessageType.encrypt) {
    throw new WireError('decrypt', 'received an encrypted stream but no key is configured')
  }
  const inner = decodeBody(buf.subarray(offset), maxSize, false)
  return { ...inner, consumed: offset + inner.consumed, encrypted }
}

function decodeBody(
  buf: Uint8Array,
  maxSize: number,
  complete: boolean,
): { message: StreamMessage; consumed: number; compressed: boolean } {
  try {
    if (buf.length === 0) throw new IncompleteError(1)
    if (buf[0] === MessageType.compress) {
      const r = new MsgpackReader(buf, 1)
      const plain = readCompressed(r, maxSize)
      if (r.offset > maxSize) throw new WireError('size', `stream message exceeds ${maxSize}`)
      const inner = readBody(plain, maxSize)
      if (inner.consumed !== plain.length) {
        throw new WireError('trailing', 'trailing bytes inside a compressed stream message')
      }
      return { message: inner.message, consumed: r.offset, compressed: true }
    }
    return { ...readBody(buf, maxSize), compressed: false }
  } catch (err) {
    // an encrypted or compressed envelope holds the whole message: missing bytes are an error
    if (err instanceof IncompleteError && complete) {
      throw new WireError('truncated', 'stream message is truncated')
    }
    if (err instanceof IncompleteError && buf.length > maxSize) {
      throw new WireError('size', `stream message exceeds ${maxSize} bytes`, { limit: maxSize })
    }
    throw err
  }
}

function readBody(buf: Uint8Array, maxSize: number): { message: StreamMessage; consumed: number } {
  const t = buf[0]
  const r = new MsgpackReader(buf, 1)
  switch (t) {
    case MessageType.ping:
    case MessageType.ack:
    case MessageType.err: {
      r.readMap()
      const message = decodeMessage(buf.subarray(0, r.offset)) as PingMsg | AckMsg | ErrMsg
      return { message, consumed: r.offset }
    }
    case MessageType.pushPull: {
      const h = readPushPullHeader(r)
      if (h.userStateLen > maxSize || h.nodes > maxSize) {
        throw new WireError('size', 'push/pull state exceeds the size limit', {
          nodes: h.nodes,
          userStateLen: h.userStateLen,
          limit: maxSize,
        })
      }
      const states: PushNodeState[] = []
      for (let i = 0; i < h.nodes; i++) states.push(readPushNodeState(r))
      if (buf.length < r.offset + h.userStateLen) {
        throw new IncompleteError(r.offset + h.userStateLen - buf.length)
      }
      const userState = buf.slice(r.offset, r.offset + h.userStateLen)
      return {
        message: { type: 'pushPull', join: h.join, states, userState },
        consumed: r.offset + h.userStateLen,
      }
    }
    case MessageType.user: {
      const len = readUserMsgHeader(r)
      if (len > maxSize) {
        throw new WireError('size', `user message of ${len} bytes exceeds ${maxSize}`, {
          size: len,
          limit: maxSize,
        })
      }
      if (buf.length < r.offset + len) throw new IncompleteError(r.offset + len - buf.length)
      return {
        // a large payload is a view (the buffer holds this one message): no second copy
        message: {
          type: 'user',
          payload:
            len > 65536
              ? buf.subarray(r.offset, r.offset + len)
              : buf.slice(r.offset, r.offset + len),
        },
        consumed: r.offset + len,
      }
    }
    default:
      throw new WireError('type', `unexpected stream message type ${t}`, { messageType: t })
  }
}
