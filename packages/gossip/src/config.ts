/** Configuration, node records and the delegate contract of a Gossip instance. */
import { BadRequestError, type IP } from '@libnetwork/types'
import type { Keyring } from './wire/keyring.js'
import type { Transport } from './transport.js'

/** A member's liveness as this node sees it. */
export type NodeStateName = 'alive' | 'suspect' | 'dead' | 'left'

/** A cluster member (a snapshot; later changes produce events). */
export interface Member {
  readonly name: string
  readonly addr: IP
  readonly port: number
  readonly meta: Uint8Array
  readonly state: NodeStateName
  readonly incarnation: number
  /** Protocol versions [min, max, cur] and delegate versions [min, max, cur] the node advertises. */
  readonly protocol: readonly [number, number, number]
  readonly delegateVersion: readonly [number, number, number]
}

/** The hooks the layer above (NetworkDB) plugs in; every method is optional. */
export interface Delegate {
  /** Metadata announced with this node's alive messages, at most `limit` bytes. */
  nodeMeta?(limit: number): Uint8Array
  /** A user message arrived (UDP packet, piggy-backed broadcast, or stream). */
  notifyMessage?(payload: Uint8Array): void
  /** Extra user broadcasts to piggy-back; each costs its length + `overhead`, `limit` in total. */
  getBroadcasts?(overhead: number, limit: number): Uint8Array[]
  /** State sent in a push/pull exchange (`join` true during join). */
  localState?(join: boolean): Uint8Array
  /** State received in a push/pull exchange. */
  mergeRemoteState?(state: Uint8Array, join: boolean): void
}

/** Membership events. */
export type MemberEvent =
  | { type: 'join'; member: Member }
  | { type: 'leave'; member: Member }
  | { type: 'update'; member: Member }

export interface GossipConfig {
  /** Unique node name (NetworkDB uses its node id). */
  name: string
  /** Transport; default a NetTransport on bindAddr:bindPort. */
  transport?: Transport
  bindAddr?: IP
  /** Default 7946; 0 picks a free port. */
  bindPort?: number
  /** Address and port announced to others (default: the bound ones). */
  advertiseAddr?: IP
  advertisePort?: number
  delegate?: Delegate
  /** ms between failure probes (default 1000). */
  probeInterval?: number
  /** ms to wait for a direct ack (default 500). */
  probeTimeout?: number
  /** Peers asked to probe indirectly (default 3). */
  indirectChecks?: number
  /** Disable the TCP fallback ping (default false). */
  disableTcpPings?: boolean
  /** Suspicion timeout multiplier (default 4) and the cap multiplier (default 6). */
  suspicionMult?: number
  suspicionMaxTimeoutMult?: number
  /** Local health awareness cap (default 8). */
  awarenessMaxMultiplier?: number
  /** Broadcast retransmit multiplier (default 4). */
  retransmitMult?: number
  /** ms between gossip rounds (default 200) and nodes per round (default 3). */
  gossipInterval?: number
  gossipNodes?: number
  /** Keep gossiping to dead nodes for this long, ms (default 30000). */
  gossipToTheDeadTime?: number
  /** ms between periodic push/pulls (default 30000; 0 disables). */
  pushPullInterval?: number
  /** Stream timeout, ms (default 10000). */
  tcpTimeout?: number
  /** Largest datagram built for gossip/compounds (default 1400). */
  udpBufferSize?: number
  /** LZW compression (default true). */
  enableCompression?: boolean
  /**
   * Stream messages larger than this many bytes go uncompressed (default 256 KiB), so one
   * large user message (a bulk sync) never costs tens of ms of LZW on the event loop; every
   * receiver, memberlist included, accepts either form. 0 compresses every stream.
   */
  streamCompressionLimit?: number
  /** AES-GCM keyring; when set every packet and stream is encrypted. */
  keyring?: Keyring
  /** Label header (newer memberlist); default none. */
  label?: string
  /** After this many ms a dead node's name may come back with a new address (default 0 = never). */
  deadNodeReclaimTime?: number
  /** Concurrent inbound push/pulls (default 128). */
  maxConcurrentPushPull?: number
  /** Largest stream message accepted, bytes (default 20 MiB). */
  maxStreamSize?: number
  /** Delegate protocol versions (default 0,0,0). */
  delegateProtocol?: readonly [number, number, number]
}

export type ResolvedConfig = Required<
  Omit<
    GossipConfig,
    'transport' | 'bindAddr' | 'advertiseAddr' | 'advertisePort' | 'delegate' | 'keyring'
  >
> &
  Pick<
    GossipConfig,
    'transport' | 'bindAddr' | 'advertiseAddr' | 'advertisePort' | 'delegate' | 'keyring'
  >

export const defaults = {
  bindPort: 7946,
  probeInterval: 1000,
  probeTimeout: 500,
  indirectChecks: 3,
  disableTcpPings: false,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  awarenessMaxMultiplier: 8,
  retransmitMult: 4,
  gossipInterval: 200,
  gossipNodes: 3,
  gossipToTheDeadTime: 30_000,
  pushPullInterval: 30_000,
  tcpTimeout: 10_000,
  udpBufferSize: 1400,
  enableCompression: true,
  streamCompressionLimit: 256 * 1024,
  label: '',
  deadNodeReclaimTime: 0,
  maxConcurrentPushPull: 128,
  maxStreamSize: 20 * 1024 * 1024,
  delegateProtocol: [0, 0, 0] as const,
}

/** Validates a configuration once, at construction. */
export function resolveConfig(c: GossipConfig): ResolvedConfig {
  const bad = (field: string, message: string, value: unknown): never => {
    throw new BadRequestError('gossip-config', `${field}: ${message}`, {
      details: { field, value: typeof value === 'object' ? JSON.stringify(value) : value },
    })
  }
  if (typeof c.name !== 'string' || c.name.length === 0)
    bad('name', 'a node name is required', c.name)
  if (new TextEncoder().encode(c.name).length > 0xffff) bad('name', 'too long', c.name.length)
  const r = { ...defaults, ...stripUndefined(c) } as ResolvedConfig
  for (const k of [
    'probeInterval',
    'probeTimeout',
    'gossipInterval',
    'tcpTimeout',
    'udpBufferSize',
    'suspicionMult',
    'suspicionMaxTimeoutMult',
    'awarenessMaxMultiplier',
    'retransmitMult',
    'maxConcurrentPushPull',
    'maxStreamSize',
  ] as const) {
    const v = r[k]
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0)
      bad(k, 'must be a positive number', v)
  }
  for (const k of [
    'indirectChecks',
    'gossipNodes',
    'pushPullInterval',
    'gossipToTheDeadTime',
    'deadNodeReclaimTime',
    'streamCompressionLimit',
  ] as const) {
    const v = r[k]
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad(k, 'must be ≥ 0', v)
  }
  if (r.probeTimeout > r.probeInterval)
    bad('probeTimeout', 'must not exceed probeInterval', r.probeTimeout)
  if (r.udpBufferSize < 64 || r.udpBufferSize > 65000)
    bad('udpBufferSize', 'must be 64..65000', r.udpBufferSize)
  if (r.label.length > 255) bad('label', 'at most 255 bytes', r.label.length)
  return r
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>
}
