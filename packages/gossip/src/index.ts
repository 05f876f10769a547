/**
 * @packageDocumentation
 * SWIM cluster membership over UDP, wire-compatible with hashicorp/memberlist.
 */
export { WireError, IncompleteError } from './wire/errors.js'
export { MsgpackReader, MsgpackWriter } from './wire/msgpack.js'
export type { Decoded, DecodedMap, MsgpackValue } from './wire/msgpack.js'
export {
  MessageType,
  NodeStateNum,
  encodeMessage,
  decodeMessage,
  readPushPullHeader,
  writePushPullHeader,
  readPushNodeState,
  writePushNodeState,
  readUserMsgHeader,
  writeUserMsgHeader,
} from './wire/messages.js'
export type {
  Message,
  MessageTypeName,
  PingMsg,
  IndirectPingMsg,
  AckMsg,
  NackMsg,
  SuspectMsg,
  AliveMsg,
  DeadMsg,
  UserMsg,
  ErrMsg,
  PushPullHeader,
  PushNodeState,
} from './wire/messages.js'
export { lzwCompress, lzwDecompress } from './wire/lzw.js'
export { crc32 } from './wire/crc32.js'
export { Keyring } from './wire/keyring.js'
export {
  makeCompound,
  splitCompound,
  compressMessage,
  addCrc,
  encodePacket,
  decodePacket,
} from './wire/packet.js'
export type { PacketEncodeOptions, PacketDecodeOptions, DecodedPacket } from './wire/packet.js'
export { encodeStream, encodeStreamBody, decodeStream } from './wire/stream.js'
export type {
  StreamMessage,
  PushPullStreamMsg,
  UserStreamMsg,
  StreamEncodeOptions,
  StreamDecodeOptions,
  DecodedStream,
} from './wire/stream.js'
export { Gossip, parseAddress } from './gossip.js'
export type { Target, BroadcastOptions } from './gossip.js'
export type { GossipConfig, Delegate, Member, MemberEvent, NodeStateName } from './config.js'
export { defaults as gossipDefaults } from './config.js'
export { NetTransport } from './transport.js'
export type { Address, Transport, TransportHandlers, NetTransportOptions } from './transport.js'
export { FaultyTransport } from './faulty.js'
export type { FaultOptions } from './faulty.js'
export { TransmitLimitedQueue } from './broadcast.js'
export type { Broadcast, TransmitLimitedQueueOptions } from './broadcast.js'
export { Suspicion, suspicionTimeout } from './suspicion.js'
export { Metrics } from './metrics.js'
