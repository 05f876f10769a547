/**
 * memberlist message bodies: one type byte followed by one msgpack map (or raw bytes for a
 * user message). Field names and order follow memberlist's Go structs, sorted by name.
 */
import {
  MsgpackReader,
  MsgpackWriter,
  fieldBool,
  fieldBytes,
  fieldString,
  fieldUint,
  type DecodedMap,
} from './msgpack.js'
import { WireError } from './errors.js'

/** memberlist's message type numbers. */
export const MessageType = {
  ping: 0,
  indirectPing: 1,
  ack: 2,
  suspect: 3,
  alive: 4,
  dead: 5,
  pushPull: 6,
  compound: 7,
  user: 8,
  compress: 9,
  encrypt: 10,
  nack: 11,
  hasCrc: 12,
  err: 13,
} as const
export type MessageTypeName = keyof typeof MessageType

export interface PingMsg {
  type: 'ping'
  seqNo: number
  node: string
}
export interface IndirectPingMsg {
  type: 'indirectPing'
  seqNo: number
  /** Target address bytes (4 for IPv4, 16 for IPv6). */
  target: Uint8Array
  port: number
  node: string
  nack: boolean
}
export interface AckMsg {
  type: 'ack'
  seqNo: number
  payload: Uint8Array | null
}
export interface NackMsg {
  type: 'nack'
  seqNo: number
}
export interface SuspectMsg {
  type: 'suspect'
  incarnation: number
  node: string
  from: string
}
export interface AliveMsg {
  type: 'alive'
  incarnation: number
  node: string
  addr: Uint8Array
  port: number
  meta: Uint8Array | null
  /** [pmin, pmax, pcur, dmin, dmax, dcur]; null when not sent. */
  vsn: Uint8Array | null
}
export interface DeadMsg {
  type: 'dead'
  incarnation: number
  node: string
  from: string
}
export interface UserMsg {
  type: 'user'
  payload: Uint8Array
}
export interface ErrMsg {
  type: 'err'
  error: string
}
/** The single messages that travel as one type byte plus body. */
export type Message =
  PingMsg | IndirectPingMsg | AckMsg | NackMsg | SuspectMsg | AliveMsg | DeadMsg | UserMsg | ErrMsg

/** Encodes one message as type byte + msgpack body (raw payload for `user`). */
export function encodeMessage(m: Message): Uint8Array {
  const w = new MsgpackWriter().byte(MessageType[m.type])
  switch (m.type) {
    case 'ping':
      w.fields([
        ['Node', m.node],
        ['SeqNo', m.seqNo],
      ])
      break
    case 'indirectPing':
      w.fields([
        ['Nack', m.nack],
        ['Node', m.node],
        ['Port', m.port],
        ['SeqNo', m.seqNo],
        ['Target', m.target],
      ])
      break
    case 'ack':
      w.fields([
        ['Payload', m.payload],
        ['SeqNo', m.seqNo],
      ])
      break
    case 'nack':
      w.fields([['SeqNo', m.seqNo]])
      break
    case 'suspect':
    case 'dead':
      w.fields([
        ['From', m.from],
        ['Incarnation', m.incarnation],
        ['Node', m.node],
      ])
      break
    case 'alive':
      w.fields([
        ['Addr', m.addr],
        ['Incarnation', m.incarnation],
        ['Meta', m.meta],
        ['Node', m.node],
        ['Port', m.port],
        ['Vsn', m.vsn],
      ])
      break
    case 'user':
      w.bytes(m.payload)
      break
    case 'err':
      w.fields([['Error', m.error]])
      break
  }
  return w.finish()
}

function body(buf: Uint8Array): DecodedMap {
  const r = new MsgpackReader(buf, 1)
  const m = r.readMap()
  if (r.offset !== buf.length) {
    throw new WireError('trailing', `${buf.length - r.offset} trailing bytes after message body`)
  }
  return m
}

/** Decodes one single message (type byte + body). Layer types (compound, compress, ...) are refused. */
export function decodeMessage(buf: Uint8Array): Message {
  if (buf.length === 0) throw new WireError('empty', 'empty message')
  const t = buf[0]!
  switch (t) {
    case MessageType.ping: {
      const m = body(buf)
      return { type: 'ping', seqNo: fieldUint(m, 'SeqNo'), node: fieldString(m, 'Node') }
    }
    case MessageType.indirectPing: {
      const m = body(buf)
      return {
        type: 'indirectPing',
        seqNo: fieldUint(m, 'SeqNo'),
        target: fieldBytes(m, 'Target') ?? new Uint8Array(0),
        port: fieldUint(m, 'Port'),
        node: fieldString(m, 'Node'),
        nack: fieldBool(m, 'Nack'),
      }
    }
    case MessageType.ack: {
      const m = body(buf)
      return { type: 'ack', seqNo: fieldUint(m, 'SeqNo'), payload: fieldBytes(m, 'Payload') }
    }
    case MessageType.nack:
      return { type: 'nack', seqNo: fieldUint(body(buf), 'SeqNo') }
    case MessageType.suspect:
    case MessageType.dead: {
      const m = body(buf)
      return {
        type: t === MessageType.suspect ? 'suspect' : 'dead',
        incarnation: fieldUint(m, 'Incarnation'),
        node: fieldString(m, 'Node'),
        from: fieldString(m, 'From'),
      }
    }
    case MessageType.alive: {
      const m = body(buf)
      return {
        type: 'alive',
        incarnation: fieldUint(m, 'Incarnation'),
        node: fieldString(m, 'Node'),
        addr: fieldBytes(m, 'Addr') ?? new Uint8Array(0),
        port: fieldUint(m, 'Port'),
        meta: fieldBytes(m, 'Meta'),
        vsn: fieldBytes(m, 'Vsn'),
      }
    }
    case MessageType.user:
      return { type: 'user', payload: buf.slice(1) }
    case MessageType.err:
      return { type: 'err', error: fieldString(body(buf), 'Error') }
    default:
      throw new WireError('type', `unexpected message type ${t}`, { messageType: t })
  }
}

/** Push/pull header, first map of a type-6 stream. */
export interface PushPullHeader {
  nodes: number
  userStateLen: number
  join: boolean
}
/** memberlist's node states as carried in push/pull. */
export const NodeStateNum = { alive: 0, suspect: 1, dead: 2, left: 3 } as const
export interface PushNodeState {
  name: string
  addr: Uint8Array
  port: number
  meta: Uint8Array | null
  incarnation: number
  /** 0 alive, 1 suspect, 2 dead (3 left in newer memberlist). */
  state: number
  vsn: Uint8Array | null
}

export function writePushPullHeader(w: MsgpackWriter, h: PushPullHeader): void {
  w.fields([
    ['Join', h.join],
    ['Nodes', h.nodes],
    ['UserStateLen', h.userStateLen],
  ])
}

export function readPushPullHeader(r: MsgpackReader): PushPullHeader {
  const m = r.readMap()
  return {
    join: fieldBool(m, 'Join'),
    nodes: fieldUint(m, 'Nodes'),
    userStateLen: fieldUint(m, 'UserStateLen'),
  }
}

export function writePushNodeState(w: MsgpackWriter, s: PushNodeState): void {
  w.fields([
    ['Addr', s.addr],
    ['Incarnation', s.incarnation],
    ['Meta', s.meta],
    ['Name', s.name],
    ['Port', s.port],
    ['State', s.state],
    ['Vsn', s.vsn],
  ])
}

export function readPushNodeState(r: MsgpackReader): PushNodeState {
  const m = r.readMap()
  return {
    name: fieldString(m, 'Name'),
    addr: fieldBytes(m, 'Addr') ?? new Uint8Array(0),
    port: fieldUint(m, 'Port'),
    meta: fieldBytes(m, 'Meta'),
    incarnation: fieldUint(m, 'Incarnation'),
    state: fieldUint(m, 'State'),
    vsn: fieldBytes(m, 'Vsn'),
  }
}

export function writeUserMsgHeader(w: MsgpackWriter, userMsgLen: number): void {
  w.fields([['UserMsgLen', userMsgLen]])
}

export function readUserMsgHeader(r: MsgpackReader): number {
  return fieldUint(r.readMap(), 'UserMsgLen')
}
