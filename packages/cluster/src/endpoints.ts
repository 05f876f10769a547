/**
 * Endpoints in the cluster: this host's endpoints on global-scope networks go into
 * `endpoint_table` (upstream's EndpointRecord); the other hosts' entries come back as name
 * records for the embedded DNS. Driven by the daemon from controller events; works on any
 * `ClusterTables` (the agent, or a fake in tests of the layers above).
 */
import type { ClusterTables, TableEvent, TableWatch } from '@libnetwork/driverapi'
import {
  BadRequestError,
  ConflictError,
  IP,
  NotFoundError,
  noopLogger,
  type Logger,
} from '@libnetwork/types'
import {
  ENDPOINT_TABLE,
  decodeEndpointRecord,
  encodeEndpointRecord,
  endpointRecord,
  type EndpointRecord,
} from './endpoint-record.js'

/** Go's text for a nil `net.IP`: what upstream writes as the virtual IP of a plain container. */
export const GO_NIL_IP = '<nil>'

/** One of this host's endpoints joining a global-scope network. */
export interface LocalEndpoint {
  networkId: string
  endpointId: string
  /** The container's name on the network (the DNS name others resolve). */
  name: string
  /** The endpoint's own aliases (upstream's task aliases, field 8). */
  aliases?: readonly string[]
  ipv4?: IP
  ipv6?: IP
}

/** A name the embedded DNS should answer on a network, from another host's endpoint. */
export interface NameRecord {
  endpointId: string
  name: string
  aliases: string[]
  ipv4?: IP
  ipv6?: IP
  /** The cluster node the endpoint lives on. */
  node: string
}

export interface EndpointSyncOptions {
  tables: ClusterTables
  /**
   * Remote names that appeared and went away on a network. An update arrives as the old record
   * removed and the new one added in the same call. Called synchronously; must not throw.
   */
  onRecords(networkId: string, added: NameRecord[], removed: NameRecord[]): void
  logger?: Logger
}

function bad(message: string, details: Record<string, unknown>): never {
  throw new BadRequestError('cluster.bad-endpoint', message, { details })
}

function nonEmpty(field: string, v: unknown): void {
  if (typeof v !== 'string' || v.length === 0) bad(`${field} must be a non-empty string`, { field })
}

/** The record upstream writes for a container endpoint (no service). */
export function recordOf(ep: LocalEndpoint): EndpointRecord {
  return endpointRecord({
    name: ep.name,
    virtualIp: GO_NIL_IP,
    endpointIp: ep.ipv4?.toString() ?? '',
    taskAliases: [...(ep.aliases ?? [])],
    endpointIpv6: ep.ipv6?.toString() ?? '',
  })
}

function parseIP(text: string, version: 4 | 6): IP | undefined {
  if (text === '' || !IP.isValid(text)) return undefined
  const ip = IP.parse(text)
  return ip.version === version ? ip : undefined
}

/** The name record of a remote entry; undefined when it has no name or no address. */
export function nameRecordOf(
  endpointId: string,
  node: string,
  r: EndpointRecord,
): NameRecord | undefined {
  const ipv4 = parseIP(r.endpointIp, 4)
  const ipv6 = parseIP(r.endpointIpv6, 6) ?? parseIP(r.endpointIp, 6)
  if (r.name === '' || (!ipv4 && !ipv6)) return undefined
  return {
    endpointId,
    name: r.name,
    aliases: [...r.taskAliases],
    ...(ipv4 ? { ipv4 } : {}),
    ...(ipv6 ? { ipv6 } : {}),
    node,
  }
}

function sameRecord(a: NameRecord, b: NameRecord): boolean {
  return (
    a.name === b.name &&
    a.node === b.node &&
    a.ipv4?.toString() === b.ipv4?.toString() &&
    a.ipv6?.toString() === b.ipv6?.toString() &&
    a.aliases.join('\0') === b.aliases.join('\0')
  )
}

export class EndpointSync {
  readonly #tables: ClusterTables
  readonly #onRecords: EndpointSyncOptions['onRecords']
  readonly #log: Logger
  /** Local endpoints by network, then endpoint id. */
  readonly #local = new Map<string, Map<string, LocalEndpoint>>()
  /** Remote records by network, then endpoint id. */
  readonly #remote = new Map<string, Map<string, NameRecord>>()
  #watch: TableWatch | undefined
  #loop: Promise<void> | undefined
  #watching = false

  constructor(o: EndpointSyncOptions) {
    this.#tables = o.tables
    this.#onRecords = (nid, added, removed) => o.onRecords(nid, added, removed)
    this.#log = o.logger ?? noopLogger
  }

  /** Start watching `endpoint_table` (before any join, so no remote entry is missed). */
  start(): void {
    if (this.#watching) return
    this.#watching = true
    this.#loop = this.#run()
  }

  /** Stop watching. Local entries stay until their networks are left. */
  async stop(): Promise<void> {
    const loop = this.#loop
    this.#watching = false
    this.#loop = undefined
    this.#watch?.close()
    await loop
  }

  async #run(): Promise<void> {
    while (this.#watching) {
      const w = (this.#watch = this.#tables.watch(ENDPOINT_TABLE))
      try {
        for await (const ev of w) this.#apply(ev)
        return
      } catch (err) {
        // The watch fell behind (or failed): read the tables again and watch anew.
        this.#log.warn('cluster: endpoint watch restarted', { error: String(err) })
        for (const nid of this.#remote.keys()) this.#resync(nid)
      }
    }
  }

  #apply(ev: TableEvent): void {
    if (ev.local || !this.#local.has(ev.networkId)) return
    const known = this.#remote.get(ev.networkId)?.get(ev.key)
    if (ev.type === 'delete') {
      if (known) this.#change(ev.networkId, [], [known])
      return
    }
    const rec = this.#decode(ev.networkId, ev.key, ev.owner, ev.value)
    if (!rec) {
      if (known) this.#change(ev.networkId, [], [known])
      return
    }
    if (known && sameRecord(known, rec)) return
    this.#change(ev.networkId, [rec], known ? [known] : [])
  }

  #decode(nid: string, key: string, owner: string, value: Uint8Array): NameRecord | undefined {
    try {
      const rec = nameRecordOf(key, owner, decodeEndpointRecord(value))
      if (!rec) this.#log.warn('cluster: endpoint record without name or address', { nid, key })
      return rec
    } catch (err) {
      this.#log.warn('cluster: undecodable endpoint record', { nid, key, error: String(err) })
      return undefined
    }
  }

  #change(nid: string, added: NameRecord[], removed: NameRecord[]): void {
    let m = this.#remote.get(nid)
    if (!m) this.#remote.set(nid, (m = new Map<string, NameRecord>()))
    for (const r of removed) m.delete(r.endpointId)
    for (const r of added) m.set(r.endpointId, r)
    if (added.length === 0 && removed.length === 0) return
    try {
      this.#onRecords(nid, added, removed)
    } catch (err) {
      this.#log.error('cluster: onRecords threw', { nid, error: String(err) })
    }
  }

  /** Bring the remote records of `nid` in line with the table as it is now. */
  #resync(nid: string): void {
    const known = this.#remote.get(nid) ?? new Map<string, NameRecord>()
    const now = new Map<string, NameRecord>()
    if (this.#local.has(nid)) {
      for (const e of this.#tables.entries(ENDPOINT_TABLE, nid)) {
        if (e.local) continue
        const rec = this.#decode(nid, e.key, e.owner, e.value)
        if (rec) now.set(e.key, rec)
      }
    }
    const added: NameRecord[] = []
    const removed: NameRecord[] = []
    for (const [id, r] of known) {
      const n = now.get(id)
      if (!n || !sameRecord(n, r)) removed.push(r)
    }
    for (const [id, r] of now) {
      const k = known.get(id)
      if (!k || !sameRecord(k, r)) added.push(r)
    }
    this.#change(nid, added, removed)
    if (now.size === 0) this.#remote.delete(nid)
  }

  /**
   * Announce a local endpoint: the first one on a network joins its group (and its remote
   * records arrive through `onRecords`); then its `endpoint_table` entry is written.
   */
  async join(ep: LocalEndpoint): Promise<void> {
    nonEmpty('networkId', ep.networkId)
    nonEmpty('endpointId', ep.endpointId)
    nonEmpty('name', ep.name)
    if (ep.ipv4 !== undefined && !(ep.ipv4 instanceof IP && ep.ipv4.version === 4))
      bad('ipv4 must be an IPv4 address', { ipv4: String(ep.ipv4) })
    if (ep.ipv6 !== undefined && !(ep.ipv6 instanceof IP && ep.ipv6.version === 6))
      bad('ipv6 must be an IPv6 address', { ipv6: String(ep.ipv6) })
    if (!ep.ipv4 && !ep.ipv6) bad('an endpoint needs an address', { endpointId: ep.endpointId })
    for (const a of ep.aliases ?? []) nonEmpty('alias', a)
    const nid = ep.networkId
    if (this.#local.get(nid)?.has(ep.endpointId)) {
      throw new ConflictError(
        'cluster.endpoint-announced',
        `endpoint ${ep.endpointId} is already announced on network ${nid}`,
        { details: { networkId: nid, endpointId: ep.endpointId } },
      )
    }
    const value = encodeEndpointRecord(recordOf(ep))
    let eps = this.#local.get(nid)
    const first = !eps
    if (!eps) this.#local.set(nid, (eps = new Map<string, LocalEndpoint>()))
    eps.set(ep.endpointId, { ...ep })
    try {
      if (first) await this.#tables.joinNetwork(nid)
      await this.#tables.put(ENDPOINT_TABLE, nid, ep.endpointId, value)
    } catch (err) {
      eps.delete(ep.endpointId)
      if (first) {
        this.#local.delete(nid)
        await this.#tables.leaveNetwork(nid).catch(() => undefined)
      }
      throw err
    }
    if (first) this.#resync(nid)
  }

  /** Withdraw a local endpoint; the last one on a network leaves its group. */
  async leave(networkId: string, endpointId: string): Promise<void> {
    const eps = this.#local.get(networkId)
    if (!eps?.has(endpointId)) {
      throw new NotFoundError(
        'cluster.endpoint-not-announced',
        `endpoint ${endpointId} is not announced on network ${networkId}`,
        { details: { networkId, endpointId } },
      )
    }
    eps.delete(endpointId)
    await this.#tables.delete(ENDPOINT_TABLE, networkId, endpointId)
    if (eps.size > 0) return
    this.#local.delete(networkId)
    await this.#tables.leaveNetwork(networkId)
    const gone = [...(this.#remote.get(networkId)?.values() ?? [])]
    this.#remote.delete(networkId)
    if (gone.length > 0) {
      try {
        this.#onRecords(networkId, [], gone)
      } catch (err) {
        this.#log.error('cluster: onRecords threw', { networkId, error: String(err) })
      }
    }
  }

  /** Remote records known now on `networkId`. */
  records(networkId: string): NameRecord[] {
    return [...(this.#remote.get(networkId)?.values() ?? [])]
  }

  /** Local endpoints announced now. */
  announced(): LocalEndpoint[] {
    return [...this.#local.values()].flatMap((m) => [...m.values()])
  }
}
