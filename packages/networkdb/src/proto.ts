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
 * Hand-written on `@libnetwork/protowire`: encoders write only non-zero fields (proto3
 * semantics), in field-number order, which reproduces the Go encoder's bytes exactly; decoders
 * skip unknown fields (and known ones of an unexpected wire type, as before) and turn malformed
 * input into `BadRequestError` `networkdb.malformed-message`. Strings are not checked for
 * UTF-8, as Go's gogo/protobuf does not check them.
 */
import { BadRequestError } from '@libnetwork/types'
import {
  ProtoReader,
  ProtoWriter,
  fieldSize,
  utf8Size,
  varintSize,
  type ReaderOptions,
} from '@libnetwork/protowire'

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
const LEN = 2
/** Field 1, length-delimited: a compound's `messages` and a SimpleMessage's `Payload`. */
const TAG_1_LEN = (1 << 3) | LEN
const EMPTY: Uint8Array = new Uint8Array(0)

/** How NetworkDB reads the wire: one error code, strings as Go takes them. */
function reader(buf: Uint8Array, what: string, start = 0, end = buf.length): ProtoReader {
  const opts: ReaderOptions = {
    what,
    code: 'networkdb.malformed-message',
    utf8: 'replace',
    start,
    end,
  }
  return new ProtoReader(buf, opts)
}

function enumIndex<T>(names: readonly T[], i: number, what: string): T {
  const name = names[i - 1]
  if (name === undefined) {
    throw new BadRequestError('networkdb.bad-event-type', `${what} has unknown type ${i}`, {
      details: { what, type: i },
    })
  }
  return name
}

/** Bytes of a proto3 varint field (none when 0) and of a length-delimited one (none when empty). */
const uintSize = (v: number): number => (v === 0 ? 0 : 1 + varintSize(v))
const strSize = (n: number): number => (n === 0 ? 0 : fieldSize(n))

// ---- node and network events: the same fields, the network event has one more ------------

function encodeMembershipEvent(
  type: number,
  ltime: number,
  node: string,
  net?: string,
): Uint8Array {
  const ns = utf8Size(node)
  const ws = net === undefined ? 0 : utf8Size(net)
  return new ProtoWriter(uintSize(type) + uintSize(ltime) + strSize(ns) + strSize(ws))
    .uintField(1, type)
    .uintField(2, ltime)
    .stringField(3, node, ns)
    .stringField(4, net ?? '', ws)
    .finish()
}

function decodeMembershipEvent(buf: Uint8Array, what: string): NetworkEvent {
  const r = reader(buf, what)
  let type = 0
  let ltime = 0
  let nodeName = ''
  let networkId = ''
  while (!r.done) {
    const t = r.tag()
    if (t === ((1 << 3) | VARINT)) type = r.uint()
    else if (t === ((2 << 3) | VARINT)) ltime = r.uint()
    else if (t === ((3 << 3) | LEN)) nodeName = r.string()
    else if (t === ((4 << 3) | LEN)) networkId = r.string()
    else r.skip(t & 7)
  }
  return { type: enumIndex(NODE_TYPES, type, what), ltime, nodeName, networkId }
}

export function encodeNodeEvent(e: NodeEvent): Uint8Array {
  return encodeMembershipEvent(NODE_TYPES.indexOf(e.type) + 1, e.ltime, e.nodeName)
}
export function decodeNodeEvent(buf: Uint8Array): NodeEvent {
  const { type, ltime, nodeName } = decodeMembershipEvent(buf, 'node event')
  return { type, ltime, nodeName }
}

export function encodeNetworkEvent(e: NetworkEvent): Uint8Array {
  return encodeMembershipEvent(NODE_TYPES.indexOf(e.type) + 1, e.ltime, e.nodeName, e.networkId)
}
export function decodeNetworkEvent(buf: Uint8Array): NetworkEvent {
  return decodeMembershipEvent(buf, 'network event')
}

// ---- table events ----------------------------------------------------------------------

/** Size of an encoded TableEvent; `s` receives the UTF-8 sizes of its four strings. */
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

function writeTableEvent(w: ProtoWriter, e: TableEvent, s: number[]): ProtoWriter {
  return w
    .uintField(1, TABLE_TYPES.indexOf(e.type) + 1)
    .uintField(2, e.ltime)
    .stringField(3, e.nodeName, s[0])
    .stringField(4, e.networkId, s[1])
    .stringField(5, e.tableName, s[2])
    .stringField(6, e.key, s[3])
    .bytesField(7, e.value)
    .int32Field(8, e.residualReapTime)
}

export function encodeTableEvent(e: TableEvent): Uint8Array {
  const s = [0, 0, 0, 0]
  return writeTableEvent(new ProtoWriter(tableEventSize(e, s)), e, s).finish()
}

/** A TableEvent inside its GossipMessage envelope, in one allocation. */
export function encodeTableEventEnveloped(e: TableEvent): Uint8Array {
  const s = [0, 0, 0, 0]
  const n = tableEventSize(e, s)
  const w = new ProtoWriter(2 + strSize(n)).uintField(1, MessageType.TableEvent)
  if (n !== 0) w.tag(2, LEN).varint(n)
  return writeTableEvent(w, e, s).finish()
}

export function decodeTableEvent(buf: Uint8Array): TableEvent {
  return decodeTableEventAt(buf, 0, buf.length)
}

/** Decode a TableEvent held in `buf[start, end)` (no intermediate views). */
export function decodeTableEventAt(buf: Uint8Array, start: number, end: number): TableEvent {
  const r = reader(buf, 'table event', start, end)
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
    if (t === ((1 << 3) | VARINT)) type = r.uint()
    else if (t === ((2 << 3) | VARINT)) ltime = r.uint()
    else if (t === ((3 << 3) | LEN)) nodeName = r.string()
    else if (t === ((4 << 3) | LEN)) networkId = r.string()
    else if (t === ((5 << 3) | LEN)) tableName = r.string()
    else if (t === ((6 << 3) | LEN)) key = r.string()
    // a copy: an entry must not keep a whole received packet alive
    else if (t === ((7 << 3) | LEN)) value = r.copy()
    else if (t === ((8 << 3) | VARINT)) residualReapTime = r.int32()
    else r.skip(t & 7)
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

// ---- push/pull ---------------------------------------------------------------------------

export function encodeNetworkPushPull(p: NetworkPushPull): Uint8Array {
  const sizes = p.networks.map((n) => {
    const a = utf8Size(n.networkId)
    const b = utf8Size(n.nodeName)
    return [a, b, strSize(a) + uintSize(n.ltime) + strSize(b) + (n.leaving ? 2 : 0)] as const
  })
  const ns = utf8Size(p.nodeName)
  let total = uintSize(p.ltime) + strSize(ns)
  for (const [, , n] of sizes) total += fieldSize(n)
  const w = new ProtoWriter(total).uintField(1, p.ltime)
  p.networks.forEach((n, i) => {
    const [a, b, len] = sizes[i]!
    w.tag(2, LEN)
      .varint(len)
      .stringField(1, n.networkId, a)
      .uintField(2, n.ltime)
      .stringField(3, n.nodeName, b)
      .boolField(4, n.leaving)
  })
  return w.stringField(3, p.nodeName, ns).finish()
}

export function decodeNetworkPushPull(buf: Uint8Array): NetworkPushPull {
  const r = reader(buf, 'network push/pull')
  const out: NetworkPushPull = { ltime: 0, networks: [], nodeName: '' }
  while (!r.done) {
    const t = r.tag()
    if (t === ((1 << 3) | VARINT)) out.ltime = r.uint()
    else if (t === ((3 << 3) | LEN)) out.nodeName = r.string()
    else if (t === ((2 << 3) | LEN)) {
      const e = r.message()
      const n: NetworkEntry = { networkId: '', ltime: 0, nodeName: '', leaving: false }
      while (!e.done) {
        const t2 = e.tag()
        if (t2 === ((1 << 3) | LEN)) n.networkId = e.string()
        else if (t2 === ((2 << 3) | VARINT)) n.ltime = e.uint()
        else if (t2 === ((3 << 3) | LEN)) n.nodeName = e.string()
        else if (t2 === ((4 << 3) | VARINT)) n.leaving = e.bool()
        else e.skip(t2 & 7)
      }
      out.networks.push(n)
    } else r.skip(t & 7)
  }
  return out
}

// ---- bulk sync ---------------------------------------------------------------------------

export function encodeBulkSync(b: BulkSyncMessage): Uint8Array {
  const ns = utf8Size(b.nodeName)
  const nets = b.networks.map(utf8Size)
  let total = uintSize(b.ltime) + (b.unsolicited ? 2 : 0) + strSize(ns) + strSize(b.payload.length)
  for (const n of nets) total += fieldSize(n)
  const w = new ProtoWriter(total)
    .uintField(1, b.ltime)
    .boolField(2, b.unsolicited)
    .stringField(3, b.nodeName, ns)
  b.networks.forEach((n, i) => w.tag(4, LEN).string(n, nets[i]))
  return w.bytesField(5, b.payload).finish()
}

export function decodeBulkSync(buf: Uint8Array): BulkSyncMessage {
  const r = reader(buf, 'bulk sync')
  const out: BulkSyncMessage = {
    ltime: 0,
    unsolicited: false,
    nodeName: '',
    networks: [],
    payload: EMPTY,
  }
  while (!r.done) {
    const t = r.tag()
    if (t === ((1 << 3) | VARINT)) out.ltime = r.uint()
    else if (t === ((2 << 3) | VARINT)) out.unsolicited = r.bool()
    else if (t === ((3 << 3) | LEN)) out.nodeName = r.string()
    else if (t === ((4 << 3) | LEN)) out.networks.push(r.string())
    else if (t === ((5 << 3) | LEN)) out.payload = r.view()
    else r.skip(t & 7)
  }
  return out
}

// ---- compound messages and the envelope ----------------------------------------------------

/** A NetworkDB CompoundMessage: each part is a complete enveloped GossipMessage. */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  let total = 0
  for (const p of parts) total += fieldSize(strSize(p.length))
  const w = new ProtoWriter(total)
  for (const p of parts) w.tag(1, LEN).varint(strSize(p.length)).bytesField(1, p)
  return w.finish()
}

/** The parts of a CompoundMessage, as views into `buf` (no copy). */
export function decodeCompound(buf: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = []
  for (const [start, end] of compoundParts(buf, 0, buf.length)) {
    parts.push(buf.subarray(start, end))
  }
  return parts
}

/** The parts of the CompoundMessage in `buf[start, end)`, one [start, end) at a time. */
export function* compoundParts(
  buf: Uint8Array,
  start: number,
  end: number,
): Generator<[number, number]> {
  const r = reader(buf, 'compound message', start, end)
  while (!r.done) {
    const t = r.tag()
    if (t !== TAG_1_LEN) {
      r.skip(t & 7)
      continue
    }
    // a SimpleMessage: its Payload (field 1) is the part; an empty one has none
    const m = r.message()
    let ps = 0
    let pe = 0
    while (!m.done) {
      const t2 = m.tag()
      if (t2 === TAG_1_LEN) {
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
  const r = reader(buf, 'gossip message', start, end)
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
  return new ProtoWriter(uintSize(type) + strSize(data.length))
    .uintField(1, type)
    .bytesField(2, data)
    .finish()
}

/** Open the GossipMessage envelope without decoding the body. */
export function openEnvelope(buf: Uint8Array): { type: number; data: Uint8Array } {
  const { type, start, end } = envelopeAt(buf, 0, buf.length)
  return { type, data: end === 0 ? EMPTY : buf.subarray(start, end) }
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
