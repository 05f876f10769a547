import { randomBytes } from 'node:crypto'
import { BadRequestError, ConflictError, NotFoundError } from '@libnetwork/types'
import { State, type Entry, type NetworkAttachment } from './state.js'
import type { WatchEvent, WatchOptions } from './watch.js'

/** A live entry as callers see it. */
export interface TableEntry {
  table: string
  network: string
  key: string
  /** Node id of the entry's owner. */
  owner: string
  value: Uint8Array
  /** Table Lamport time of this version. */
  ltime: number
}

/** An entry as `walk` sees it, tombstones included. */
export interface WalkEntry extends TableEntry {
  deleting: boolean
  /** Milliseconds until a tombstone is reaped (0 for a live entry). */
  reapInMs: number
}

export interface ClusterPeer {
  name: string
  status: 'active' | 'failed' | 'left'
}

export interface NetworkDBOptions {
  /** This node's id (default: 12 random hex digits, as upstream). */
  nodeId?: string
  /** How long a deleted entry lives as a tombstone (upstream 30 min). */
  reapEntryIntervalMs?: number
  /** How long a left network is remembered (default: reapEntryInterval + 5 reap periods). */
  reapNetworkIntervalMs?: number
  /** How long a failed or left node is remembered and retried (upstream 24 h). */
  nodeReapIntervalMs?: number
  /** How often reaping runs (upstream 5 s). */
  reapPeriodMs?: number
  /** Wall clock in ms, for tests. */
  now?: () => number
}

export const DEFAULTS = {
  reapEntryIntervalMs: 30 * 60_000,
  nodeReapIntervalMs: 24 * 3_600_000,
  reapPeriodMs: 5_000,
} as const

function checkName(what: string, v: unknown): asserts v is string {
  if (typeof v !== 'string' || v.length === 0) {
    throw new BadRequestError(`networkdb.bad-${what}`, `${what} must be a non-empty string`, {
      details: { [what]: v },
    })
  }
}

function checkValue(v: unknown): asserts v is Uint8Array {
  if (!(v instanceof Uint8Array)) {
    throw new BadRequestError('networkdb.bad-value', 'value must be a Uint8Array', {
      details: { type: typeof v },
    })
  }
}

function positive(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt
  if (!Number.isFinite(v) || v <= 0) {
    throw new BadRequestError('networkdb.bad-option', `${name} must be a positive number`, {
      details: { [name]: v },
    })
  }
  return v
}

/**
 * The database's local half: tables, networks, clocks, watch and reaping. {@link NetworkDB}
 * adds the cluster on top; used alone it is a single-node database.
 */
export class LocalDB {
  protected readonly state: State
  readonly #reapPeriodMs: number
  #reaper: NodeJS.Timeout | undefined

  constructor(opts: NetworkDBOptions = {}) {
    const nodeId = opts.nodeId ?? randomBytes(6).toString('hex')
    checkName('nodeId', nodeId)
    const reapEntryIntervalMs = positive(
      'reapEntryIntervalMs',
      opts.reapEntryIntervalMs,
      DEFAULTS.reapEntryIntervalMs,
    )
    this.#reapPeriodMs = positive('reapPeriodMs', opts.reapPeriodMs, DEFAULTS.reapPeriodMs)
    this.state = new State({
      nodeId,
      reapEntryIntervalMs,
      reapNetworkIntervalMs: positive(
        'reapNetworkIntervalMs',
        opts.reapNetworkIntervalMs,
        reapEntryIntervalMs + 5 * this.#reapPeriodMs,
      ),
      nodeReapIntervalMs: positive(
        'nodeReapIntervalMs',
        opts.nodeReapIntervalMs,
        DEFAULTS.nodeReapIntervalMs,
      ),
      now: opts.now ?? Date.now,
    })
  }

  get nodeId(): string {
    return this.state.self
  }

  /** Start periodic reaping. */
  async start(): Promise<void> {
    if (this.#reaper) return
    this.#reaper = setInterval(() => this.state.reap(), this.#reapPeriodMs)
    this.#reaper.unref()
  }

  async stop(): Promise<void> {
    clearInterval(this.#reaper)
    this.#reaper = undefined
  }

  /** Run one reaping pass now (tombstones, left networks, departed nodes past their time). */
  reap(): void {
    this.state.reap()
  }

  #joined(network: string): void {
    const n = this.state.ownNetwork(network)
    if (!n || n.leaving) {
      throw new NotFoundError(
        'networkdb.network-not-joined',
        `node ${this.nodeId} has not joined network ${network}`,
        { details: { network, nodeId: this.nodeId } },
      )
    }
  }

  #live(table: string, network: string, key: string): Entry {
    const e = this.state.getEntry(network, table, key)
    if (!e || e.deleting) {
      throw new NotFoundError(
        'networkdb.entry-not-found',
        `no entry ${key} in table ${table} of network ${network}`,
        { details: { table, network, key } },
      )
    }
    return e
  }

  #write(table: string, network: string, key: string, e: Entry, op: WatchEvent['type']): void {
    this.state.setEntry(network, table, key, e, op)
    const ev = this.state.toTableEvent(network, table, key, e)
    if (op === 'update') ev.type = 'update'
    this.state.sink?.table(ev)
  }

  /** Create an entry owned by this node. Fails if a live entry has the key. */
  createEntry(table: string, network: string, key: string, value: Uint8Array): void {
    checkName('table', table)
    checkName('network', network)
    checkName('key', key)
    checkValue(value)
    this.#joined(network)
    const old = this.state.getEntry(network, table, key)
    if (old && !old.deleting) {
      throw new ConflictError(
        'networkdb.entry-exists',
        `entry ${key} already exists in table ${table} of network ${network}`,
        { details: { table, network, key, owner: old.owner } },
      )
    }
    const e: Entry = {
      ltime: this.state.tableClock.increment(),
      owner: this.nodeId,
      value: Uint8Array.from(value),
      deleting: false,
      reapAt: 0,
    }
    this.#write(table, network, key, e, 'create')
  }

  /** Replace the value of a live entry; this node becomes its owner. */
  updateEntry(table: string, network: string, key: string, value: Uint8Array): void {
    checkName('table', table)
    checkName('network', network)
    checkName('key', key)
    checkValue(value)
    this.#joined(network)
    this.#live(table, network, key)
    const e: Entry = {
      ltime: this.state.tableClock.increment(),
      owner: this.nodeId,
      value: Uint8Array.from(value),
      deleting: false,
      reapAt: 0,
    }
    this.#write(table, network, key, e, 'update')
  }

  /** Delete a live entry: it becomes a tombstone, reaped after the reap interval. */
  deleteEntry(table: string, network: string, key: string): void {
    checkName('table', table)
    checkName('network', network)
    checkName('key', key)
    this.#joined(network)
    const old = this.#live(table, network, key)
    const e: Entry = {
      ltime: this.state.tableClock.increment(),
      owner: this.nodeId,
      value: old.value,
      deleting: true,
      reapAt: this.state.cfg.now() + this.state.cfg.reapEntryIntervalMs,
    }
    this.#write(table, network, key, e, 'delete')
  }

  /** A live entry; NotFoundError when absent or deleted. */
  getEntry(table: string, network: string, key: string): TableEntry {
    checkName('table', table)
    checkName('network', network)
    checkName('key', key)
    const e = this.#live(table, network, key)
    return { table, network, key, owner: e.owner, value: e.value, ltime: e.ltime }
  }

  /** Live entries of one table in one network. */
  getTable(table: string, network: string): TableEntry[] {
    checkName('table', table)
    checkName('network', network)
    const out: TableEntry[] = []
    for (const [key, e] of this.state.entries.get(network)?.get(table) ?? []) {
      if (!e.deleting)
        out.push({ table, network, key, owner: e.owner, value: e.value, ltime: e.ltime })
    }
    return out
  }

  /** Visit every entry of a table in every network, tombstones included; return true to stop. */
  walk(table: string, fn: (e: WalkEntry) => boolean | void): void {
    checkName('table', table)
    const now = this.state.cfg.now()
    for (const [network, tables] of this.state.entries) {
      for (const [key, e] of tables.get(table) ?? []) {
        const stop = fn({
          table,
          network,
          key,
          owner: e.owner,
          value: e.value,
          ltime: e.ltime,
          deleting: e.deleting,
          reapInMs: e.deleting ? Math.max(0, e.reapAt - now) : 0,
        })
        if (stop === true) return
      }
    }
  }

  /** Number of live entries per network this node has joined. */
  networkStats(network: string): { entries: number; peers: number } {
    checkName('network', network)
    this.#joined(network)
    let entries = 0
    for (const keys of this.state.entries.get(network)?.values() ?? []) {
      for (const e of keys.values()) if (!e.deleting) entries++
    }
    return { entries, peers: this.networkPeers(network).length }
  }

  /** Attach this node to a network (local part; {@link NetworkDB} also announces and syncs). */
  protected attach(network: string): number {
    checkName('network', network)
    const old = this.state.ownNetwork(network)
    if (old && !old.leaving) {
      throw new ConflictError(
        'networkdb.network-already-joined',
        `node ${this.nodeId} has already joined network ${network}`,
        { details: { network, nodeId: this.nodeId } },
      )
    }
    const ltime = this.state.networkClock.increment()
    let nets = this.state.networks.get(this.nodeId)
    if (!nets) this.state.networks.set(this.nodeId, (nets = new Map<string, NetworkAttachment>()))
    nets.set(network, { id: network, ltime, leaving: false, reapAt: 0, inSync: false })
    this.state.addNetworkNode(network, this.nodeId)
    return ltime
  }

  protected detach(network: string): number {
    checkName('network', network)
    this.#joined(network)
    const ltime = this.state.networkClock.increment()
    this.state.deleteNetworkNode(network, this.nodeId)
    this.state.deleteNodeNetworkEntries(network, this.nodeId)
    const n = this.state.ownNetwork(network)!
    n.ltime = ltime
    n.leaving = true
    n.reapAt = this.state.cfg.now() + this.state.cfg.reapNetworkIntervalMs
    return ltime
  }

  async joinNetwork(network: string, _opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.attach(network)
    this.state.ownNetwork(network)!.inSync = true
  }

  async leaveNetwork(network: string): Promise<void> {
    this.detach(network)
  }

  /** Networks this node has joined. */
  networks(): string[] {
    return [...(this.state.networks.get(this.nodeId) ?? [])]
      .filter(([, n]) => !n.leaving)
      .map(([id]) => id)
  }

  /** Nodes attached to a network, this node included when it joined. */
  networkPeers(network: string): string[] {
    checkName('network', network)
    return [...(this.state.networkNodes.get(network) ?? [])].sort()
  }

  /** Nodes of the cluster this node knows, with their state. */
  clusterPeers(): ClusterPeer[] {
    return [...this.state.nodes.values()]
      .map((n) => ({ name: n.name, status: n.status }))
      .sort((a, b) => a.name.localeCompare(b.name))
  }

  /**
   * Changes to entries (local and remote) as an async iterable. A watcher that falls more than
   * `maxQueue` events behind fails with `networkdb.watch-overflow`; the database never waits.
   */
  watch(opts: WatchOptions = {}): AsyncIterableIterator<WatchEvent> {
    return this.state.hub.watch(opts)
  }
}
