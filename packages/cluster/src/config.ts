/** The agent's configuration, validated once at construction. */
import { randomBytes } from 'node:crypto'
import { networkInterfaces } from 'node:os'
import { parseAddress, type Address } from '@libnetwork/gossip'
import type { GossipMembershipOptions, NetworkDBOptions } from '@libnetwork/networkdb'
import { BadRequestError, IP, noopLogger, type Logger } from '@libnetwork/types'

/** The gossip port upstream uses (memberlist's default). */
export const DEFAULT_PORT = 7946

export interface ClusterAgentConfig {
  /**
   * This node's name in the cluster (the owner of its entries). Default: 12 random hex digits,
   * as upstream; a new name at each start means a restarted host never meets the entries of its
   * previous life, which the others reap as those of a failed node.
   */
  nodeName?: string
  /** Address to listen on (UDP and TCP). Default `0.0.0.0`. */
  bindAddress?: IP
  /** Port to listen on. Default 7946; 0 picks a free port. */
  port?: number
  /**
   * Address other hosts reach this one on. Default: the bind address, or when that is
   * unspecified (`0.0.0.0`/`::`), the first non-loopback IPv4 address of this network namespace.
   */
  advertiseAddress?: IP
  /** Peers to join, `ip` or `ip:port` (`[v6]:port`); the port defaults to 7946. */
  join?: readonly string[]
  /** Gossip encryption keys (16, 24 or 32 bytes each); the first encrypts. None: plain text. */
  keys?: readonly Uint8Array[]
  /** Retry of peers not reached yet: first delay and cap, ms (default 1,000 doubling to 30,000). */
  retry?: { initialMs?: number; maxMs?: number }
  /** Gossip tuning (probe interval, timeouts); NetworkDB's profile by default. */
  gossip?: Omit<
    GossipMembershipOptions,
    'bindAddr' | 'bindPort' | 'advertiseAddr' | 'advertisePort' | 'keyring'
  >
  /** NetworkDB tuning (reap intervals and the like); upstream's defaults otherwise. */
  networkdb?: Omit<NetworkDBOptions, 'nodeId'> & { reconnectIntervalMs?: number }
  /**
   * NetworkDB's diagnostic HTTP server (upstream's operations as JSON), on 127.0.0.1 only.
   * Off unless given; `port` 0 picks a free one (upstream uses 2000).
   */
  diagnostic?: { port: number }
  logger?: Logger
}

export interface ResolvedConfig {
  nodeName: string
  bindAddress: IP
  port: number
  advertiseAddress: IP
  peers: { text: string; address: Address }[]
  keys: Uint8Array[]
  retryInitialMs: number
  retryMaxMs: number
  gossip: NonNullable<ClusterAgentConfig['gossip']>
  networkdb: NonNullable<ClusterAgentConfig['networkdb']>
  diagnosticPort: number | undefined
  logger: Logger
}

function bad(field: string, message: string, value: unknown): never {
  throw new BadRequestError('cluster.bad-config', `${field}: ${message}`, {
    details: { field, value: typeof value === 'object' ? JSON.stringify(value) : value },
  })
}

function isIP(v: unknown): v is IP {
  return v instanceof IP
}

/** The first non-internal IPv4 address of this process's network namespace. */
function firstIPv4(): IP | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.family === 'IPv4' && !a.internal) return IP.parse(a.address)
    }
  }
  return undefined
}

function unspecified(ip: IP): boolean {
  return ip.toString() === '0.0.0.0' || ip.toString() === '::'
}

export function resolveConfig(c: ClusterAgentConfig): ResolvedConfig {
  const nodeName = c.nodeName ?? randomBytes(6).toString('hex')
  if (typeof nodeName !== 'string' || !/^[\w.-]{1,255}$/.test(nodeName))
    bad('nodeName', 'want 1 to 255 letters, digits, "_", "." or "-"', nodeName)
  const bindAddress = c.bindAddress ?? IP.parse('0.0.0.0')
  if (!isIP(bindAddress)) bad('bindAddress', 'must be an IP', bindAddress)
  const port = c.port ?? DEFAULT_PORT
  if (!Number.isInteger(port) || port < 0 || port > 65535) bad('port', 'must be 0..65535', port)
  let advertiseAddress = c.advertiseAddress
  if (advertiseAddress !== undefined && !isIP(advertiseAddress))
    bad('advertiseAddress', 'must be an IP', advertiseAddress)
  if (advertiseAddress !== undefined && unspecified(advertiseAddress))
    bad('advertiseAddress', 'must be an address other hosts can reach', advertiseAddress.toString())
  if (advertiseAddress === undefined) {
    advertiseAddress = unspecified(bindAddress) ? firstIPv4() : bindAddress
    if (advertiseAddress === undefined) {
      bad(
        'advertiseAddress',
        'not given, and this network namespace has no non-loopback IPv4 address to use',
        null,
      )
    }
  }
  const peers = (c.join ?? []).map((text) => {
    if (typeof text !== 'string') bad('join', 'each peer must be a string "ip[:port]"', text)
    try {
      return { text, address: parseAddress(text, DEFAULT_PORT) }
    } catch {
      return bad('join', `bad peer address ${JSON.stringify(text)} (want ip or ip:port)`, text)
    }
  })
  const keys = [...(c.keys ?? [])]
  for (const k of keys) {
    if (!(k instanceof Uint8Array) || ![16, 24, 32].includes(k.length))
      bad('keys', 'each key must be 16, 24 or 32 bytes', k instanceof Uint8Array ? k.length : k)
  }
  const retryInitialMs = c.retry?.initialMs ?? 1_000
  const retryMaxMs = c.retry?.maxMs ?? Math.max(30_000, retryInitialMs)
  if (!(retryInitialMs > 0) || !Number.isFinite(retryInitialMs))
    bad('retry.initialMs', 'must be a positive number', retryInitialMs)
  if (!(retryMaxMs >= retryInitialMs) || !Number.isFinite(retryMaxMs))
    bad('retry.maxMs', 'must be a number ≥ retry.initialMs', retryMaxMs)
  const diagnosticPort = c.diagnostic?.port
  if (
    c.diagnostic !== undefined &&
    !(Number.isInteger(diagnosticPort) && diagnosticPort! >= 0 && diagnosticPort! <= 65535)
  )
    bad('diagnostic.port', 'must be 0..65535', diagnosticPort)
  return {
    nodeName,
    bindAddress,
    port,
    advertiseAddress,
    peers,
    keys,
    retryInitialMs,
    retryMaxMs,
    gossip: c.gossip ?? {},
    networkdb: c.networkdb ?? {},
    diagnosticPort,
    logger: c.logger ?? noopLogger,
  }
}
