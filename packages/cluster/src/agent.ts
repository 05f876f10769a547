/**
 * The cluster agent: one host's gossip membership and NetworkDB, started in the calling
 * process's network namespace, and the `ClusterTables` view of it that the controller and
 * drivers use.
 */
import type {
  ClusterTables,
  TableEvent,
  TableWatch,
  TableWatchOptions,
} from '@libnetwork/driverapi'
import { Keyring, type Member, type MemberEvent } from '@libnetwork/gossip'
import {
  GossipMembership,
  NetworkDB,
  startDiagnosticServer,
  type DiagnosticServer,
  type WatchEvent,
} from '@libnetwork/networkdb'
import { ConflictError, NotFoundError, UnavailableError, type IP } from '@libnetwork/types'
import { resolveConfig, type ClusterAgentConfig, type ResolvedConfig } from './config.js'
import { PeerJoiner, type PeerStatus } from './peers.js'

/** A node of the cluster as this host sees it. */
export interface ClusterMember {
  name: string
  address: IP
  port: number
  state: 'alive' | 'suspect' | 'dead' | 'left'
  /** This host. */
  self: boolean
}

/** A change of a member's state. `failed`: declared dead by the failure detector. */
export interface MemberChange {
  type: MemberEvent['type'] | 'failed'
  member: ClusterMember
}

const REJECT_CHECK_MS = 1_000
const REJECT_LOG_EVERY_MS = 30_000

interface NetworkJoin {
  count: number
  ready: Promise<void>
}

/**
 * How often one key may be published again after another node took it, per minute, before the
 * agent gives up on it (two live hosts putting one key would otherwise take it from each other
 * for ever).
 */
const RECLAIMS_PER_MINUTE = 10

/** A key this host put and has not deleted: where, its value, and its recent re-publications. */
interface Published {
  table: string
  networkId: string
  key: string
  value: Uint8Array
  reclaims: number[]
}

const pubKey = (table: string, networkId: string, key: string): string =>
  `${table}\u0000${networkId}\u0000${key}`

function toMember(m: Member, self: string): ClusterMember {
  return { name: m.name, address: m.addr, port: m.port, state: m.state, self: m.name === self }
}

export class ClusterAgent implements ClusterTables {
  readonly #cfg: ResolvedConfig
  readonly #membership: GossipMembership
  readonly #db: NetworkDB
  readonly #joins = new Map<string, NetworkJoin>()
  readonly #watches = new Set<TableWatch>()
  /** Keys this host publishes (see `put`), by table/network/key. */
  readonly #published = new Map<string, Published>()
  /** One watch per table this host has put into: it notices a key of ours taken by another node. */
  readonly #guards = new Map<string, AsyncIterableIterator<WatchEvent>>()
  #joiner: PeerJoiner | undefined
  #rejectTimer: NodeJS.Timeout | undefined
  #diagnostic: DiagnosticServer | undefined
  #rejectSeen: Record<string, number> = {}
  #rejectLoggedAt = 0
  #state: 'new' | 'running' | 'stopped' = 'new'

  /** Validates `config` (a bad one throws `BadRequestError` `cluster.bad-config`); binds nothing. */
  constructor(config: ClusterAgentConfig = {}) {
    const c = (this.#cfg = resolveConfig(config))
    this.#membership = new GossipMembership(c.nodeName, {
      ...c.gossip,
      bindAddr: c.bindAddress,
      bindPort: c.port,
      advertiseAddr: c.advertiseAddress,
      ...(c.keys.length > 0 ? { keyring: new Keyring(c.keys, c.keys[0]) } : {}),
    })
    this.#db = new NetworkDB({ ...c.networkdb, nodeId: c.nodeName, membership: this.#membership })
  }

  get nodeName(): string {
    return this.#cfg.nodeName
  }

  get advertiseAddress(): string {
    return this.#cfg.advertiseAddress.toString()
  }

  /** The gossip port this host listens on (the bound one when configured as 0); after start. */
  get port(): number {
    this.#mustRun()
    return this.#membership.gossip.address.port
  }

  /** `ip:port` other hosts join this one through; after start. */
  get address(): string {
    const ip = this.#cfg.advertiseAddress
    return ip.version === 6 ? `[${ip.toString()}]:${this.port}` : `${ip.toString()}:${this.port}`
  }

  /** `http://127.0.0.1:port` of NetworkDB's diagnostic server, when configured; after start. */
  get diagnosticUrl(): string | undefined {
    return this.#diagnostic?.url
  }

  /** The NetworkDB underneath (diagnostics, tests); drivers use the `ClusterTables` methods. */
  get networkDB(): NetworkDB {
    return this.#db
  }

  /**
   * Bind, start gossip and NetworkDB, and try every configured peer once (in parallel). Peers
   * not reached are retried in the background with backoff; `peers()` shows their state.
   */
  async start(): Promise<void> {
    if (this.#state === 'running') return
    if (this.#state === 'stopped') {
      throw new ConflictError('cluster.stopped', 'a stopped cluster agent cannot start again', {
        details: { nodeName: this.nodeName },
      })
    }
    await this.#db.start()
    if (this.#cfg.diagnosticPort !== undefined) {
      try {
        this.#diagnostic = await startDiagnosticServer(this.#db, {
          host: '127.0.0.1',
          port: this.#cfg.diagnosticPort,
        })
      } catch (err) {
        await this.#db.stop()
        this.#state = 'stopped'
        if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw err
        throw new ConflictError(
          'cluster.diagnostic-port',
          `the diagnostic port 127.0.0.1:${this.#cfg.diagnosticPort} is in use`,
          { details: { port: this.#cfg.diagnosticPort }, cause: err },
        )
      }
    }
    this.#state = 'running'
    const gossip = this.#membership.gossip
    this.#cfg.logger.info('cluster: agent started', {
      nodeName: this.nodeName,
      address: this.address,
    })
    this.#joiner = new PeerJoiner({
      peers: this.#cfg.peers,
      self: { ip: this.#cfg.advertiseAddress, port: gossip.address.port },
      initialMs: this.#cfg.retryInitialMs,
      maxMs: this.#cfg.retryMaxMs,
      join: (seed) => this.#db.join([seed]),
      members: () =>
        gossip
          .members()
          .map((m) =>
            m.addr.version === 6
              ? `[${m.addr.toString()}]:${m.port}`
              : `${m.addr.toString()}:${m.port}`,
          ),
      logger: this.#cfg.logger,
    })
    this.#rejectTimer = setInterval(() => this.#reportRejected(), REJECT_CHECK_MS)
    this.#rejectTimer.unref()
    await this.#joiner.start()
  }

  /**
   * Gossip input rejected so far, by reason (`decrypt`: a packet under another key or none;
   * `crc`, `msgpack-type`, …: malformed, or plain text sent to an encrypting host).
   */
  rejectedPackets(): Record<string, number> {
    return { ...this.#membership.gossip.metrics.decodeErrors }
  }

  /** Say in the log when gossip input is rejected (at most every 30 s): a key mismatch shows here. */
  #reportRejected(): void {
    const now = this.rejectedPackets()
    if (Date.now() - this.#rejectLoggedAt < REJECT_LOG_EVERY_MS) return
    const delta: Record<string, number> = {}
    for (const [reason, n] of Object.entries(now)) {
      const d = n - (this.#rejectSeen[reason] ?? 0)
      if (d > 0) delta[reason] = d
    }
    if (Object.keys(delta).length === 0) return
    this.#rejectSeen = now
    this.#rejectLoggedAt = Date.now()
    this.#cfg.logger.warn('cluster: rejected gossip input', {
      reasons: delta,
      hint:
        this.#cfg.keys.length > 0
          ? 'a host with another encryption key, or none, may be trying to join this one'
          : 'a host using gossip encryption may be trying to join this one (this host has no key)',
    })
  }

  /** Leave the cluster gracefully (others drop this host's entries at once) and close. */
  async stop(): Promise<void> {
    if (this.#state !== 'running') {
      this.#state = 'stopped'
      return
    }
    this.#state = 'stopped'
    this.#joiner?.stop()
    clearInterval(this.#rejectTimer)
    await this.#diagnostic?.close()
    for (const w of this.#watches) w.close()
    for (const g of this.#guards.values()) void g.return?.()
    this.#guards.clear()
    this.#published.clear()
    this.#joins.clear()
    await this.#db.stop()
    this.#cfg.logger.info('cluster: agent stopped', { nodeName: this.nodeName })
  }

  /** Every node this host knows, itself included, with its state (dead and left ones too). */
  members(): ClusterMember[] {
    return this.#membership.gossip
      .allMembers()
      .map((m) => toMember(m, this.nodeName))
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  /** The configured peers and whether they were reached. */
  peers(): PeerStatus[] {
    return this.#joiner?.status() ?? []
  }

  /** Called on every member change; returns the unsubscribe function. */
  onMemberChange(fn: (change: MemberChange) => void): () => void {
    const g = this.#membership.gossip
    const offs = (['join', 'leave', 'update', 'failed'] as const).map((type) =>
      g.on(type, (m) => fn({ type, member: toMember(m, this.nodeName) })),
    )
    return () => offs.forEach((off) => off())
  }

  /** Networks whose group this host is in, with their join counts. */
  networks(): { networkId: string; joins: number }[] {
    return [...this.#joins].map(([networkId, j]) => ({ networkId, joins: j.count }))
  }

  #mustRun(): void {
    if (this.#state !== 'running') {
      throw new UnavailableError('cluster.not-running', 'the cluster agent is not running', {
        details: { nodeName: this.nodeName, state: this.#state },
      })
    }
  }

  async joinNetwork(networkId: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#mustRun()
    let j = this.#joins.get(networkId)
    if (j) {
      j.count++
    } else {
      // NetworkDB attaches synchronously (a bad id throws here, before any state changes);
      // the promise is the bulk sync with the network's current members.
      const ready = this.#db.joinNetwork(networkId, opts)
      j = { count: 1, ready }
      this.#joins.set(networkId, j)
    }
    const mine = j
    try {
      await mine.ready
    } catch (err) {
      mine.count--
      if (mine.count === 0 && this.#joins.get(networkId) === mine) {
        this.#joins.delete(networkId)
        if (this.#db.networks().includes(networkId)) await this.#db.leaveNetwork(networkId)
      }
      throw err
    }
  }

  async leaveNetwork(networkId: string): Promise<void> {
    this.#mustRun()
    const j = this.#joins.get(networkId)
    if (!j) {
      throw new NotFoundError(
        'cluster.network-not-joined',
        `this host has not joined network ${networkId}`,
        { details: { networkId, nodeName: this.nodeName } },
      )
    }
    j.count--
    if (j.count > 0) return
    this.#joins.delete(networkId)
    for (const [k, p] of this.#published) if (p.networkId === networkId) this.#published.delete(k)
    await this.#db.leaveNetwork(networkId)
  }

  /**
   * Publish `value` under `key`: this host owns the key until it deletes it or leaves the
   * network. Should another node's version of the key win meanwhile (the dead predecessor of a
   * restarted daemon, whose copy has a higher clock than one written before this host met the
   * cluster), the agent publishes its value again, so it wins in turn; and when that node is
   * dropped with its entries, the key is not lost.
   */
  async put(table: string, networkId: string, key: string, value: Uint8Array): Promise<void> {
    this.#mustRun()
    this.#write(table, networkId, key, value)
    const k = pubKey(table, networkId, key)
    const copy = Uint8Array.from(value)
    const prev = this.#published.get(k)
    this.#published.set(k, { table, networkId, key, value: copy, reclaims: prev?.reclaims ?? [] })
    this.#guard(table)
  }

  /** Create or update (this node becomes the owner). */
  #write(table: string, networkId: string, key: string, value: Uint8Array): void {
    let live = false
    try {
      this.#db.getEntry(table, networkId, key)
      live = true
    } catch (err) {
      if (!NotFoundError.isInstance(err)) throw err
    }
    if (live) this.#db.updateEntry(table, networkId, key, value)
    else this.#db.createEntry(table, networkId, key, value)
  }

  /** Watch `table` (once) for keys of ours that another node's version replaced or removed. */
  #guard(table: string): void {
    if (this.#guards.has(table)) return
    const it = this.#db.watch({ table })
    this.#guards.set(table, it)
    void (async () => {
      try {
        for await (const ev of it) {
          if (ev.owner !== this.nodeName) this.#reclaim(ev.table, ev.network, ev.key, ev.owner)
        }
      } catch (err) {
        // the guard fell behind: check every key of ours in the table, and watch anew
        if (this.#guards.get(table) !== it) return
        this.#guards.delete(table)
        if (this.#state !== 'running') return
        this.#cfg.logger.warn('cluster: table guard restarted', { table, error: String(err) })
        this.#guard(table)
        for (const p of [...this.#published.values()]) {
          if (p.table !== table) continue
          let owner: string | undefined
          try {
            owner = this.#db.getEntry(table, p.networkId, p.key).owner
          } catch {
            owner = undefined
          }
          if (owner !== this.nodeName) this.#reclaim(table, p.networkId, p.key, owner ?? '')
        }
      }
    })()
  }

  /** Publish a key of ours again after `by` took it (or its removal took it away). */
  #reclaim(table: string, networkId: string, key: string, by: string): void {
    const p = this.#published.get(pubKey(table, networkId, key))
    if (!p || this.#state !== 'running' || !this.#joins.has(networkId)) return
    const now = Date.now()
    p.reclaims = p.reclaims.filter((at) => now - at < 60_000)
    if (p.reclaims.length >= RECLAIMS_PER_MINUTE) {
      if (p.reclaims.length === RECLAIMS_PER_MINUTE) {
        p.reclaims.push(now)
        this.#cfg.logger.warn('cluster: another node keeps publishing a key of this host', {
          table,
          networkId,
          key,
          by,
        })
      }
      return
    }
    p.reclaims.push(now)
    try {
      this.#write(table, networkId, key, p.value)
      this.#cfg.logger.info(
        'cluster: a key of this host was taken by another node: published again',
        {
          table,
          networkId,
          key,
          by,
        },
      )
    } catch (err) {
      this.#cfg.logger.warn('cluster: cannot publish a key of this host again', {
        table,
        networkId,
        key,
        error: String(err),
      })
    }
  }

  async delete(table: string, networkId: string, key: string): Promise<void> {
    this.#mustRun()
    this.#published.delete(pubKey(table, networkId, key))
    let owner: string
    try {
      owner = this.#db.getEntry(table, networkId, key).owner
    } catch (err) {
      if (NotFoundError.isInstance(err)) return
      throw err
    }
    if (owner !== this.nodeName || !this.#db.networks().includes(networkId)) return
    this.#db.deleteEntry(table, networkId, key)
  }

  entries(
    table: string,
    networkId: string,
  ): { key: string; value: Uint8Array; owner: string; local: boolean }[] {
    return this.#db.getTable(table, networkId).map((e) => ({
      key: e.key,
      value: e.value,
      owner: e.owner,
      local: e.owner === this.nodeName,
    }))
  }

  watch(table: string, opts: TableWatchOptions = {}): TableWatch {
    const it = this.#db.watch({ table, ...(opts.signal ? { signal: opts.signal } : {}) })
    const self = this.nodeName
    const toEvent = (e: WatchEvent): TableEvent => ({
      type: e.type,
      table: e.table,
      networkId: e.network,
      key: e.key,
      value: e.value,
      owner: e.owner,
      local: e.owner === self,
    })
    const watches = this.#watches
    const w: TableWatch & AsyncIterator<TableEvent> = {
      async next(): Promise<IteratorResult<TableEvent>> {
        const r = await it.next()
        if (r.done) {
          watches.delete(w)
          return { done: true, value: undefined }
        }
        return { done: false, value: toEvent(r.value) }
      },
      async return(): Promise<IteratorResult<TableEvent>> {
        w.close()
        return { done: true, value: undefined }
      },
      close(): void {
        watches.delete(w)
        void it.return?.()
      },
      [Symbol.asyncIterator]() {
        return w
      },
    }
    watches.add(w)
    return w
  }
}
