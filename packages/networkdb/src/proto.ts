/**
 * Wire codec for NetworkDB's protobuf messages, with upstream's message and field numbers:
 *
 * ```proto
 * enum MessageType { INVALID = 0; NETWORK_EVENT = 1; TABLE_EVENT = 2; PUSH_PULL = 3;
 *   BULK_SYNC = 4; COMPOUND = 5; NODE_EVENT = 6; }
 * message GossipMessage { MessageType type = 1; bytes data = 2; }
 * message NodeEvent { Type type = 1; uint64 l_time = 2; string node_name = 3; }
 * message NetworkEvent { Type type = 1; uint64 l_time = 2; string node_name = 3;
 *   string network_id = 4; }
 * message NetworkEntry { string network_id = 1; uint64 l_time = 2; string node_name = 3;
 *   bool leaving = 4; }
 * message NetworkPushPull { uint64 l_time = 1; repeated NetworkEntry networks = 2;
 *   string node_name = 3; }
 * message TableEvent { Type type = 1; uint64 l_time = 2; string node_name = 3;
 *   string network_id = 4; string table_name = 5; string key = 6; bytes value = 7;
 *   int32 residual_reap_time = 8; }
 * message BulkSyncMessage { uint64 l_time = 1; bool unsolicited = 2; string node_name = 3;
 *   repeated string networks = 4; bytes payload = 5; }
 * message CompoundMessage { message SimpleMessage { bytes Payload = 1; }
 *   repeated SimpleMessage messages = 1; }
 * ```
 *
 * Hand-written (see `pb.ts`): encoders write only non-zero fields (proto3 semantics), in
 * field-number order, which reproduces the Go encoder's bytes exactly; decoders skip unknown
 * fields and turn malformed input into `BadRequestError` `networkdb.malformed-message`.
 */
import { BadRequestError } from '@libnetwork/types'
import { PbReader, PbWriter, fieldSize, utf8Size, varintSize } from './pb.js'

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

const VARINT = 0
const EMPTY: Uint8Array = new Uint8Array(0)
const LEN = 2

function enumIndex<T>(names: readonly T[], i: number, what: string): T {
  const name = names[i - 1]
  if (name === undefined) {
    throw new BadRequestError('networkdb.bad-event-type', `${what} has unknown type ${i}`, {
      details: { what, type: i },
    })
  }
  return name
}

const uintSize = (v: number): number => (v === 0 ? 0 : 1 + varintSize(v))
const strSize = (n: number): number => (n === 0 ? 0 : fieldSize(n))

function putUint(w: PbWriter, field: number, v: number): void {
  if (v !== 0) w.tag(field, VARINT).varint(v)
}
function putStr(w: PbWriter, field: number, s: string, size: number): void {
  if (size !== 0) w.tag(field, LEN).string(s, size)
}
function putBytes(w: PbWriter, field: number, b: Uint8Array): void {
  if (b.length !== 0) w.tag(field, LEN).bytes(b)
}

function encodeMembershipEvent(
  type: number,
  ltime: number,
  node: string,
  net?: string,
): Uint8Array {
  const ns = utf8Size(node)
  const ws = net === undefined ? 0 : utf8Size(net)
  const w = new PbWriter(uintSize(type) + uintSize(ltime) + strSize(ns) + strSize(ws))
  putUint(w, 1, type)
  putUint(w, 2, ltime)
  putStr(w, 3, node, ns)
  if (net !== undefined) putStr(w, 4, net, ws)
  return w.finish()
}

export function encodeNodeEvent(e: NodeEvent): Uint8Array {
  return encodeMembershipEvent(NODE_TYPES.indexOf(e.type) + 1, e.ltime, e.nodeName)
}
export function decodeNodeEvent(buf: Uint8Array): NodeEvent {
  const r = new PbReader(buf, 'node event')
  let type = 0
  let ltime = 0
  let nodeName = ''
  while (!r.done) {
    const t = r.tag()
    const f = t >>> 3
    const wire = t & 7
    if (f === 1 && wire === VARINT) type = r.uint()
    else if (f === 2 && wire === VARINT) ltime = r.uint()
    else if (f === 3 && wire === LEN) nodeName = r.string()
    else r.skip(wire)
  }
  return { type: enumIndex(NODE_TYPES, type, 'node event'), ltime, nodeName }
}

export function encodeNetworkEvent(e: NetworkEvent): Uint8Array {
  return encodeMembershipEvent(NODE_TYPES.indexOf(e.type) + 1, e.ltime, e.nodeName, e.networkId)
}
export function decodeNetworkEvent(buf: Uint8Array): NetworkEvent {
  const r = new PbReader(buf, 'network event')
  let type = 0
  let ltime = 0
  let nodeName = ''
  let networkId = ''
  while (!r.done) {
    const t = r.tag()
    const f = t >>> 3
    const wire = t & 7
    if (f === 1 && wire === VARINT) type = r.uint()
    else if (f === 2 && wire === VARINT) ltime = r.uint()
    else if (f === 3 && wire === LEN) nodeName = r.string()
    else if (f === 4 && wire === LEN) networkId = r.string()
    else r.skip(wire)
  }
  return { type: enumIndex(NODE_TYPES, type, 'network event'), ltime, nodeName, networkId }
}

/** Size of an encoded TableEvent. */
function tableEventSize(e: TableEvent, s: number[]): number {
  s[0] = utf8Size(e.nodeName)
  s[1] = utf8Size(e.networkId)
  s[2] = utf8Size(e.tableName)
  s[3] = utf8Size(e.key)
  return (
    uintSize(TABLE_TYPES.indexOf(e.type) + 1) +
    uintSize(e.ltime) +
    strSize(s[0]) +
    strSize(s[1]) +
    strSize(s[2]) +
    strSize(s[3]) +
    strSize(e.value.length) +
    (e.residualReapTime === 0 ? 0 : 1 + varintSize(e.residualReapTime))
  )
}

function writeTableEvent(w: PbWriter, e: TableEvent, s: number[]): void {
  putUint(w, 1, TABLE_TYPES.indexOf(e.type) + 1)
  putUint(w, 2, e.ltime)
  putStr(w, 3, e.nodeName, s[0]!)
  putStr(w, 4, e.networkId, s[1]!)
  putStr(w, 5, e.tableName, s[2]!)
  putStr(w, 6, e.key, s[3]!)
  putBytes(w, 7, e.value)
  if (e.residualReapTime !== 0) w.tag(8, VARINT).varint(e.residualReapTime)
}

export function encodeTableEvent(e: TableEvent): Uint8Array {
  const s = [0, 0, 0, 0]
  const w = new PbWriter(tableEventSize(e, s))
  writeTableEvent(w, e, s)
  return w.finish()
}

/** A TableEvent inside its GossipMessage envelope, in one allocation. */
export function encodeTableEventEnveloped(e: TableEvent): Uint8Array {
  const s = [0, 0, 0, 0]
  const n = tableEventSize(e, s)
  const w = new PbWriter(2 + fieldSize(n))
  w.tag(1, VARINT).varint(MessageType.TableEvent)
  if (n !== 0) w.tag(2, LEN).varint(n)
  writeTableEvent(w, e, s)
  return w.finish()
}

export function decodeTableEvent(buf: Uint8Array): TableEvent {
  return decodeTableEventAt(buf, 0, buf.length)
}

/** Decode a TableEvent held in `buf[start, end)` (no intermediate views). */
export function decodeTableEventAt(buf: Uint8Array, start: number, end: number): TableEvent {
  const r = new PbReader(buf, 'table event', start, end)
  let type = 0
  let ltime = 0
  let nodeName = ''
  let networkId = ''
  let tableName = ''
  let key = ''
  let value: Uint8Array = EMPTY
  let residualReapTime = 0
  while (!r.done) {
    const t = r.tag()
    const f = t >>> 3
    const wire = t & 7
    if (wire === VARINT && f === 1) type = r.uint()
    else if (wire === VARINT && f === 2) ltime = r.uint()
    else if (wire === LEN && f === 3) nodeName = r.string()
    else if (wire === LEN && f === 4) networkId = r.string()
    else if (wire === LEN && f === 5) tableName = r.string()
    else if (wire === LEN && f === 6) key = r.string()
    // a copy: an entry must not keep a whole received packet alive
    else if (wire === LEN && f === 7) value = r.copy()
    else if (wire === VARINT && f === 8) residualReapTime = r.int32()
    else r.skip(wire)
  }
  return {
    type: enumIndex(TABLE_TYPES, type, 'table event'),
    ltime,
    nodeName,
    networkId,
    tableName,
    key,
    value,
    residualReapTime,
  }
}

export function encodeNetworkPushPull(p: NetworkPushPull): Uint8Array {
  const sizes = p.networks.map((n) => {
    const a = utf8Size(n.networkId)
    const b = utf8Size(n.nodeName)
    return [a, b, strSize(a) + uintSize(n.ltime) + strSize(b) + (n.leaving ? 2 : 0)] as const
  })
  const ns = utf8Size(p.nodeName)
  let total = uintSize(p.ltime) + strSize(ns)
  for (const [, , n] of sizes) total += fieldSize(n)
  const w = new PbWriter(total)
  putUint(w, 1, p.ltime)
  p.networks.forEach((n, i) => {
    const [a, b, len] = sizes[i]!
    w.tag(2, LEN).varint(len)
    putStr(w, 1, n.networkId, a)
    putUint(w, 2, n.ltime)
    putStr(w, 3, n.nodeName, b)
    if (n.leaving) w.tag(4, VARINT).varint(1)
  })
  putStr(w, 3, p.nodeName, ns)
  return w.finish()
}
export function decodeNetworkPushPull(buf: Uint8Array): NetworkPushPull {
  const r = new PbReader(buf, 'network push/pull')
  const out: NetworkPushPull = { ltime: 0, networks: [], nodeName: '' }
  while (!r.done) {
    const t = r.tag()
    const f = t >>> 3
    const wire = t & 7
    if (f === 1 && wire === VARINT) out.ltime = r.uint()
    else if (f === 3 && wire === LEN) out.nodeName = r.string()
    else if (f === 2 && wire === LEN) {
      const e = new PbReader(r.view(), 'network push/pull')
      const n: NetworkEntry = { networkId: '', ltime: 0, nodeName: '', leaving: false }
      while (!e.done) {
        const t2 = e.tag()
        const g = t2 >>> 3
        const w2 = t2 & 7
        if (g === 1 && w2 === LEN) n.networkId = e.string()
        else if (g === 2 && w2 === VARINT) n.ltime = e.uint()
        else if (g === 3 && w2 === LEN) n.nodeName = e.string()
        else if (g === 4 && w2 === VARINT) n.leaving = e.bool()
        else e.skip(w2)
      }
      out.networks.push(n)
    } else r.skip(wire)
  }
  return out
}

export function encodeBulkSync(b: BulkSyncMessage): Uint8Array {
  const ns = utf8Size(b.nodeName)
  const nets = b.networks.map(utf8Size)
  let total = uintSize(b.ltime) + (b.unsolicited ? 2 : 0) + strSize(ns) + strSize(b.payload.length)
  for (const n of nets) total += fieldSize(n)
  const w = new PbWriter(total)
  putUint(w, 1, b.ltime)
  if (b.unsolicited) w.tag(2, VARINT).varint(1)
  putStr(w, 3, b.nodeName, ns)
  b.networks.forEach((n, i) => w.tag(4, LEN).string(n, nets[i]!))
  putBytes(w, 5, b.payload)
  return w.finish()
}
export function decodeBulkSync(buf: Uint8Array): BulkSyncMessage {
  const r = new PbReader(buf, 'bulk sync')
  const out: BulkSyncMessage = {
    ltime: 0,
    unsolicited: false,
    nodeName: '',
    networks: [],
    payload: new Uint8Array(0),
  }
  while (!r.done) {
    const t = r.tag()
    const f = t >>> 3
    const wire = t & 7
    if (f === 1 && wire === VARINT) out.ltime = r.uint()
    else if (f === 2 && wire === VARINT) out.unsolicited = r.bool()
    else if (f === 3 && wire === LEN) out.nodeName = r.string()
    else if (f === 4 && wire === LEN) out.networks.push(r.string())
    else if (f === 5 && wire === LEN) out.payload = r.view()
    else r.skip(wire)
  }
  return out
}

/** A NetworkDB CompoundMessage: each part is a complete enveloped GossipMessage. */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0
  for (const p of parts) total += fieldSize(p.length === 0 ? 0 : fieldSize(p.length))
  const w = new PbWriter(total)
  for (const p of parts) {
    if (p.length === 0) {
      w.tag(1, LEN).varint(0)
      continue
    }
    w.tag(1, LEN).varint(fieldSize(p.length))
    w.tag(1, LEN).bytes(p)
  }
  return w.finish()
}

/** The parts of a CompoundMessage, as views into `buf` (no copy). */
export function decodeCompound(buf: Uint8Array): Uint8Array[] {
  const r = compoundRanges(buf, 0, buf.length)
  const parts: Uint8Array[] = []
  for (let i = 0; i < r.length; i += 2) parts.push(buf.subarray(r[i], r[i + 1]))
  return parts
}

/** Where each part of the CompoundMessage in `buf[start, end)` lies: [start0, end0, ...]. */
export function compoundRanges(buf: Uint8Array, start: number, end: number): number[] {
  const r = new PbReader(buf, 'compound message', start, end)
  const out: number[] = []
  while (!r.done) {
    const t = r.tag()
    if (t !== ((1 << 3) | LEN)) {
      r.skip(t & 7)
      continue
    }
    const len = r.len()
    const m = new PbReader(buf, 'compound message', r.pos, r.pos + len)
    r.pos += len
    let ps = 0
    let pe = 0
    while (!m.done) {
      const t2 = m.tag()
      if (t2 === ((1 << 3) | LEN)) {
        const n = m.len()
        ps = m.pos
        pe = m.pos + n
        m.pos = pe
      } else m.skip(t2 & 7)
    }
    out.push(ps, pe)
  }
  return out
}

/** The parts of the CompoundMessage in `buf[start, end)`, one [start, end) at a time. */
export function* compoundParts(
  buf: Uint8Array,
  start: number,
  end: number,
): Generator<[number, number]> {
  const r = new PbReader(buf, 'compound message', start, end)
  while (!r.done) {
    const t = r.tag()
    if (t !== ((1 << 3) | LEN)) {
      r.skip(t & 7)
      continue
    }
    const len = r.len()
    const m = new PbReader(buf, 'compound message', r.pos, r.pos + len)
    r.pos += len
    let ps = 0
    let pe = 0
    while (!m.done) {
      const t2 = m.tag()
      if (t2 === ((1 << 3) | LEN)) {
        const n = m.len()
        ps = m.pos
        pe = m.pos + n
        m.pos = pe
      } else m.skip(t2 & 7)
    }
    yield [ps, pe]
  }
}

/** Open the GossipMessage envelope in `buf[start, end)`: its type and the body's range. */
export function envelopeAt(
  buf: Uint8Array,
  start: number,
  end: number,
): { type: number; start: number; end: number } {
  const r = new PbReader(buf, 'gossip message', start, end)
  let type = 0
  let ds = 0
  let de = 0
  while (!r.done) {
    const t = r.tag()
    if (t === ((1 << 3) | VARINT)) type = r.uint()
    else if (t === ((2 << 3) | LEN)) {
      const n = r.len()
      ds = r.pos
      de = r.pos + n
      r.pos = de
    } else r.skip(t & 7)
  }
  return { type, start: ds, end: de }
}

/** Wrap an inner message in the GossipMessage envelope. */
export function envelope(type: MessageTypeNumber, data: Uint8Array): Uint8Array {
  const w = new PbWriter(uintSize(type) + strSize(data.length))
  putUint(w, 1, type)
  putBytes(w, 2, data)
  return w.finish()
}

/** Open the GossipMessage envelope without decoding the body. */
export function openEnvelope(buf: Uint8Array): { type: number; data: Uint8Array } {
  const r = new PbReader(buf, 'gossip message')
  let type = 0
  let data: Uint8Array = new Uint8Array(0)
  while (!r.done) {
    const t = r.tag()
    const f = t >>> 3
    const wire = t & 7
    if (f === 1 && wire === VARINT) type = r.uint()
    else if (f === 2 && wire === LEN) data = r.view()
    else r.skip(wire)
  }
  return { type, data }
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
