/**
 * Wire codec for NetworkDB's protobuf messages, with upstream's message and field numbers.
 *
 * The schema lives in this file as .proto text and is parsed once by protobufjs, so it ships
 * inside `dist` with the code. Encoders write only non-zero fields (proto3 semantics), in
 * field-number order, which reproduces the Go encoder's bytes exactly.
 */
import protobuf from 'protobufjs'
import { BadRequestError } from '@libnetwork/types'

const SCHEMA = `
syntax = "proto3";
package networkdb;
enum MessageType { INVALID = 0; NETWORK_EVENT = 1; TABLE_EVENT = 2; PUSH_PULL = 3;
  BULK_SYNC = 4; COMPOUND = 5; NODE_EVENT = 6; }
message GossipMessage { MessageType type = 1; bytes data = 2; }
message NodeEvent { enum Type { INVALID = 0; JOIN = 1; LEAVE = 2; }
  Type type = 1; uint64 l_time = 2; string node_name = 3; }
message NetworkEvent { enum Type { INVALID = 0; JOIN = 1; LEAVE = 2; }
  Type type = 1; uint64 l_time = 2; string node_name = 3; string network_id = 4; }
message NetworkEntry { string network_id = 1; uint64 l_time = 2; string node_name = 3;
  bool leaving = 4; }
message NetworkPushPull { uint64 l_time = 1; repeated NetworkEntry networks = 2;
  string node_name = 3; }
message TableEvent { enum Type { INVALID = 0; CREATE = 1; UPDATE = 2; DELETE = 3; }
  Type type = 1; uint64 l_time = 2; string node_name = 3; string network_id = 4;
  string table_name = 5; string key = 6; bytes value = 7; int32 residual_reap_time = 8; }
message BulkSyncMessage { uint64 l_time = 1; bool unsolicited = 2; string node_name = 3;
  repeated string networks = 4; bytes payload = 5; }
message CompoundMessage { message SimpleMessage { bytes Payload = 1; }
  repeated SimpleMessage messages = 1; }
`

const root = protobuf.parse(SCHEMA, { keepCase: true }).root
const T = {
  gossip: root.lookupType('networkdb.GossipMessage'),
  node: root.lookupType('networkdb.NodeEvent'),
  network: root.lookupType('networkdb.NetworkEvent'),
  pushPull: root.lookupType('networkdb.NetworkPushPull'),
  table: root.lookupType('networkdb.TableEvent'),
  bulk: root.lookupType('networkdb.BulkSyncMessage'),
  compound: root.lookupType('networkdb.CompoundMessage'),
}

/** GossipMessage envelope types (upstream MessageType). */
export const MessageType = {
  NetworkEvent: 1,
  TableEvent: 2,
  PushPull: 3,
  BulkSync: 4,
  Compound: 5,
  NodeEvent: 6,
} as const
export type MessageTypeNumber = (typeof MessageType)[keyof typeof MessageType]

export type NodeEventType = 'join' | 'leave'
export type NetworkEventType = 'join' | 'leave'
export type TableEventType = 'create' | 'update' | 'delete'

export interface NodeEvent {
  type: NodeEventType
  ltime: number
  nodeName: string
}
export interface NetworkEvent {
  type: NetworkEventType
  ltime: number
  nodeName: string
  networkId: string
}
export interface TableEvent {
  type: TableEventType
  ltime: number
  nodeName: string
  networkId: string
  tableName: string
  key: string
  value: Uint8Array
  /** Seconds left before a deleted entry is reaped (0 when not deleting). */
  residualReapTime: number
}
export interface NetworkEntry {
  networkId: string
  ltime: number
  nodeName: string
  leaving: boolean
}
export interface NetworkPushPull {
  ltime: number
  networks: NetworkEntry[]
  nodeName: string
}
export interface BulkSyncMessage {
  ltime: number
  unsolicited: boolean
  nodeName: string
  networks: string[]
  /** An enveloped COMPOUND GossipMessage of table events. */
  payload: Uint8Array
}

/** A decoded GossipMessage: the envelope type and its decoded body. */
export type GossipMessage =
  | { type: 'node'; message: NodeEvent }
  | { type: 'network'; message: NetworkEvent }
  | { type: 'table'; message: TableEvent }
  | { type: 'push-pull'; message: NetworkPushPull }
  | { type: 'bulk-sync'; message: BulkSyncMessage }
  | { type: 'compound'; message: Uint8Array[] }

const NODE_TYPES: NodeEventType[] = ['join', 'leave']
const TABLE_TYPES: TableEventType[] = ['create', 'update', 'delete']

type Plain = Record<string, unknown>

function num(v: unknown): number {
  if (v === undefined || v === null) return 0
  if (typeof v === 'number') return v
  if (typeof v === 'object' && 'toNumber' in v) return (v as { toNumber(): number }).toNumber()
  return Number(v)
}
function str(v: unknown): string {
  return typeof v === 'string' ? v : ''
}
function bytes(v: unknown): Uint8Array {
  return v instanceof Uint8Array ? v : new Uint8Array(0)
}

function decodeWith(type: protobuf.Type, buf: Uint8Array, what: string): Plain {
  try {
    return type.decode(buf) as unknown as Plain
  } catch (err) {
    throw new BadRequestError('networkdb.malformed-message', `malformed ${what}: ${String(err)}`, {
      details: { what, length: buf.length },
      cause: err,
    })
  }
}

function enumIndex<T>(names: readonly T[], v: unknown, what: string): T {
  const i = num(v)
  const name = names[i - 1]
  if (name === undefined) {
    throw new BadRequestError('networkdb.bad-event-type', `${what} has unknown type ${i}`, {
      details: { what, type: i },
    })
  }
  return name
}

/** Drop zero values so that the encoder omits them, as proto3 requires. */
function nonZero(obj: Plain): Plain {
  const out: Plain = {}
  for (const [k, v] of Object.entries(obj)) {
    if (v === 0 || v === false || v === '' || v === undefined) continue
    if (v instanceof Uint8Array && v.length === 0) continue
    if (Array.isArray(v) && v.length === 0) continue
    out[k] = v
  }
  return out
}

function encodeWith(type: protobuf.Type, obj: Plain): Uint8Array {
  return type.encode(nonZero(obj)).finish()
}

export function encodeNodeEvent(e: NodeEvent): Uint8Array {
  return encodeWith(T.node, {
    type: NODE_TYPES.indexOf(e.type) + 1,
    l_time: e.ltime,
    node_name: e.nodeName,
  })
}
export function decodeNodeEvent(buf: Uint8Array): NodeEvent {
  const m = decodeWith(T.node, buf, 'node event')
  return {
    type: enumIndex(NODE_TYPES, m.type, 'node event'),
    ltime: num(m.l_time),
    nodeName: str(m.node_name),
  }
}

export function encodeNetworkEvent(e: NetworkEvent): Uint8Array {
  return encodeWith(T.network, {
    type: NODE_TYPES.indexOf(e.type) + 1,
    l_time: e.ltime,
    node_name: e.nodeName,
    network_id: e.networkId,
  })
}
export function decodeNetworkEvent(buf: Uint8Array): NetworkEvent {
  const m = decodeWith(T.network, buf, 'network event')
  return {
    type: enumIndex(NODE_TYPES, m.type, 'network event'),
    ltime: num(m.l_time),
    nodeName: str(m.node_name),
    networkId: str(m.network_id),
  }
}

export function encodeTableEvent(e: TableEvent): Uint8Array {
  return encodeWith(T.table, {
    type: TABLE_TYPES.indexOf(e.type) + 1,
    l_time: e.ltime,
    node_name: e.nodeName,
    network_id: e.networkId,
    table_name: e.tableName,
    key: e.key,
    value: e.value,
    residual_reap_time: e.residualReapTime,
  })
}
export function decodeTableEvent(buf: Uint8Array): TableEvent {
  const m = decodeWith(T.table, buf, 'table event')
  return {
    type: enumIndex(TABLE_TYPES, m.type, 'table event'),
    ltime: num(m.l_time),
    nodeName: str(m.node_name),
    networkId: str(m.network_id),
    tableName: str(m.table_name),
    key: str(m.key),
    value: bytes(m.value),
    residualReapTime: num(m.residual_reap_time),
  }
}

export function encodeNetworkPushPull(p: NetworkPushPull): Uint8Array {
  return encodeWith(T.pushPull, {
    l_time: p.ltime,
    networks: p.networks.map((n) =>
      nonZero({
        network_id: n.networkId,
        l_time: n.ltime,
        node_name: n.nodeName,
        leaving: n.leaving,
      }),
    ),
    node_name: p.nodeName,
  })
}
export function decodeNetworkPushPull(buf: Uint8Array): NetworkPushPull {
  const m = decodeWith(T.pushPull, buf, 'network push/pull')
  const nets = Array.isArray(m.networks) ? (m.networks as Plain[]) : []
  return {
    ltime: num(m.l_time),
    networks: nets.map((n) => ({
      networkId: str(n.network_id),
      ltime: num(n.l_time),
      nodeName: str(n.node_name),
      leaving: n.leaving === true,
    })),
    nodeName: str(m.node_name),
  }
}

export function encodeBulkSync(b: BulkSyncMessage): Uint8Array {
  return encodeWith(T.bulk, {
    l_time: b.ltime,
    unsolicited: b.unsolicited,
    node_name: b.nodeName,
    networks: b.networks,
    payload: b.payload,
  })
}
export function decodeBulkSync(buf: Uint8Array): BulkSyncMessage {
  const m = decodeWith(T.bulk, buf, 'bulk sync')
  return {
    ltime: num(m.l_time),
    unsolicited: m.unsolicited === true,
    nodeName: str(m.node_name),
    networks: Array.isArray(m.networks) ? (m.networks as string[]) : [],
    payload: bytes(m.payload),
  }
}

/** A NetworkDB CompoundMessage: each part is a complete enveloped GossipMessage. */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  return encodeWith(T.compound, { messages: parts.map((p) => nonZero({ Payload: p })) })
}
export function decodeCompound(buf: Uint8Array): Uint8Array[] {
  const m = decodeWith(T.compound, buf, 'compound message')
  const parts = Array.isArray(m.messages) ? (m.messages as Plain[]) : []
  return parts.map((p) => bytes(p.Payload))
}

/** Wrap an inner message in the GossipMessage envelope. */
export function envelope(type: MessageTypeNumber, data: Uint8Array): Uint8Array {
  return encodeWith(T.gossip, { type, data })
}

/** Open the GossipMessage envelope without decoding the body. */
export function openEnvelope(buf: Uint8Array): { type: number; data: Uint8Array } {
  const m = decodeWith(T.gossip, buf, 'gossip message')
  return { type: num(m.type), data: bytes(m.data) }
}

/** Encode a decoded GossipMessage back to envelope bytes. */
export function encodeGossip(msg: GossipMessage): Uint8Array {
  switch (msg.type) {
    case 'node':
      return envelope(MessageType.NodeEvent, encodeNodeEvent(msg.message))
    case 'network':
      return envelope(MessageType.NetworkEvent, encodeNetworkEvent(msg.message))
    case 'table':
      return envelope(MessageType.TableEvent, encodeTableEvent(msg.message))
    case 'push-pull':
      return envelope(MessageType.PushPull, encodeNetworkPushPull(msg.message))
    case 'bulk-sync':
      return envelope(MessageType.BulkSync, encodeBulkSync(msg.message))
    case 'compound':
      return envelope(MessageType.Compound, encodeCompound(msg.message))
  }
}

/** Decode an enveloped GossipMessage. A compound's parts stay as enveloped bytes. */
export function decodeGossip(buf: Uint8Array): GossipMessage {
  const { type, data } = openEnvelope(buf)
  switch (type) {
    case MessageType.NodeEvent:
      return { type: 'node', message: decodeNodeEvent(data) }
    case MessageType.NetworkEvent:
      return { type: 'network', message: decodeNetworkEvent(data) }
    case MessageType.TableEvent:
      return { type: 'table', message: decodeTableEvent(data) }
    case MessageType.PushPull:
      return { type: 'push-pull', message: decodeNetworkPushPull(data) }
    case MessageType.BulkSync:
      return { type: 'bulk-sync', message: decodeBulkSync(data) }
    case MessageType.Compound:
      return { type: 'compound', message: decodeCompound(data) }
    default:
      throw new BadRequestError(
        'networkdb.unknown-message-type',
        `unknown gossip message type ${type}`,
        { details: { type } },
      )
  }
}
