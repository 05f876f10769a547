/**
 * @packageDocumentation
 * A network-scoped, eventually consistent gossip database, wire-compatible with Docker's
 * NetworkDB: tables of entries per network, gossiped only among the nodes that joined it.
 */
export { LocalDB, DEFAULTS } from './db.js'
export type { TableEntry, WalkEntry, ClusterPeer, NetworkDBOptions } from './db.js'
export { NetworkDB } from './networkdb.js'
export { GossipMembership, NETWORKDB_GOSSIP_DEFAULTS } from './membership.js'
export type { GossipMembershipOptions } from './membership.js'
export type { Membership, MembershipHooks, ClusterDBOptions } from './networkdb.js'
export type { ClusterOptions, Link } from './cluster.js'
export { LamportClock } from './clock.js'
export type { WatchEvent, WatchOptions } from './watch.js'
export {
  MessageType,
  encodeGossip,
  decodeGossip,
  envelope,
  openEnvelope,
  encodeNodeEvent,
  decodeNodeEvent,
  encodeNetworkEvent,
  decodeNetworkEvent,
  encodeTableEvent,
  decodeTableEvent,
  encodeBulkSync,
  decodeBulkSync,
  encodeCompound,
  decodeCompound,
  encodeNetworkPushPull,
  decodeNetworkPushPull,
} from './proto.js'
export type {
  MessageTypeNumber,
  NodeEventType,
  NetworkEventType,
  TableEventType,
  NodeEvent,
  NetworkEvent,
  TableEvent,
  NetworkEntry,
  NetworkPushPull,
  BulkSyncMessage,
  GossipMessage,
} from './proto.js'
export { startDiagnosticServer } from './diagnostic.js'
export type { DiagnosticOptions, DiagnosticServer } from './diagnostic.js'
