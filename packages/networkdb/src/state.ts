/**
 * The database's state machine: entries, network attachments, cluster nodes and the Lamport
 * clocks, and how local operations and remote events change them. No I/O: the cluster layer
 * feeds remote events in and receives what must be gossiped through a {@link StateSink}.
 */
import { LamportClock } from './clock.js'
import type { NetworkEvent, NodeEvent, NetworkPushPull, TableEvent } from './proto.js'
import { WatchHub, type WatchEvent } from './watch.js'

export interface Entry {
  ltime: number
  owner: string
  value: Uint8Array
  deleting: boolean
  /** Wall time (ms) at which a deleted entry is removed; 0 when not deleting. */
  reapAt: number
  /** Local change number (set by State.setEntry): which bulk syncs must carry a tombstone. */
  seq?: number
}

export interface NetworkAttachment {
  id: string
  ltime: number
  leaving: boolean
  reapAt: number
  /** True after the first bulk sync of this node's own attachment. */
  inSync: boolean
}

export type NodeStatus = 'active' | 'failed' | 'left'

export interface NodeRecord {
  name: string
  ltime: number
  status: NodeStatus
  reapAt: number
}

export interface StateConfig {
  nodeId: string
  reapEntryIntervalMs: number
  reapNetworkIntervalMs: number
  nodeReapIntervalMs: number
  now: () => number
}

/** What the state machine asks the cluster layer to send. */
export interface StateSink {
  /** A table event to gossip to the network's members (a local change or a rebroadcast). */
  table(ev: TableEvent, raw?: Uint8Array): void
  /** A node event to broadcast cluster-wide. */
  node(ev: NodeEvent, raw?: Uint8Array): void
  /** A network event to broadcast cluster-wide. */
  network(ev: NetworkEvent, raw?: Uint8Array): void
  /** A node newly attached to a network this node is in (time to bulk sync with it). */
  peerJoinedNetwork?(node: string, network: string): void
}

export class State {
  readonly cfg: StateConfig
  readonly networkClock = new LamportClock()
  readonly tableClock = new LamportClock()
  readonly hub = new WatchHub()
  /** network → table → key → entry */
  readonly entries = new Map<string, Map<string, Map<string, Entry>>>()
  readonly nodes = new Map<string, NodeRecord>()
  /** node → network → attachment */
  readonly networks = new Map<string, Map<string, NetworkAttachment>>()
  /** network → nodes attached (not leaving) */
  readonly networkNodes = new Map<string, Set<string>>()
  sink: StateSink | undefined
  /** Number of the last local change to an entry (see Entry.seq). */
  changeSeq = 0

  constructor(cfg: StateConfig) {
    this.cfg = cfg
    this.nodes.set(cfg.nodeId, { name: cfg.nodeId, ltime: 0, status: 'active', reapAt: 0 })
  }

  get self(): string {
    return this.cfg.nodeId
  }

  getEntry(network: string, table: string, key: string): Entry | undefined {
    return this.entries.get(network)?.get(table)?.get(key)
  }

  ownNetwork(network: string): NetworkAttachment | undefined {
    return this.networks.get(this.self)?.get(network)
  }

  /** Store an entry and tell watchers. */
  setEntry(network: string, table: string, key: string, e: Entry, op?: WatchEvent['type']): void {
    let tables = this.entries.get(network)
    if (!tables) this.entries.set(network, (tables = new Map<string, Map<string, Entry>>()))
    let keys = tables.get(table)
    if (!keys) tables.set(table, (keys = new Map<string, Entry>()))
    e.seq = ++this.changeSeq
    keys.set(key, e)
    if (op) this.#notify(op, network, table, key, e)
  }

  removeEntry(network: string, table: string, key: string): void {
    const tables = this.entries.get(network)
    const keys = tables?.get(table)
    if (!tables || !keys) return
    keys.delete(key)
    if (keys.size === 0) tables.delete(table)
    if (tables.size === 0) this.entries.delete(network)
  }

  #notify(type: WatchEvent['type'], network: string, table: string, key: string, e: Entry): void {
    if (this.hub.size === 0) return
    this.hub.publish({ type, table, network, key, owner: e.owner, value: e.value, ltime: e.ltime })
  }

  residualSeconds(e: Entry): number {
    if (!e.deleting) return 0
    return Math.max(1, Math.ceil((e.reapAt - this.cfg.now()) / 1000))
  }

  toTableEvent(network: string, table: string, key: string, e: Entry): TableEvent {
    return {
      type: e.deleting ? 'delete' : 'create',
      ltime: e.ltime,
      nodeName: e.owner,
      networkId: network,
      tableName: table,
      key,
      value: e.value,
      residualReapTime: this.residualSeconds(e),
    }
  }

  // ---- network attachments -------------------------------------------------------------

  addNetworkNode(network: string, node: string): void {
    let set = this.networkNodes.get(network)
    if (!set) this.networkNodes.set(network, (set = new Set()))
    set.add(node)
  }

  deleteNetworkNode(network: string, node: string): void {
    const set = this.networkNodes.get(network)
    if (!set) return
    set.delete(node)
    if (set.size === 0) this.networkNodes.delete(network)
  }

  /**
   * A node left `network`: tombstone the entries it owns. When this node is the one leaving,
   * remote entries are dropped and its own are tombstoned one tick later.
   */
  deleteNodeNetworkEntries(network: string, node: string): void {
    const local = node === this.self
    const tables = this.entries.get(network)
    if (!tables) return
    for (const [table, keys] of [...tables]) {
      for (const [key, old] of [...keys]) {
        if (old.owner !== node && !local) continue
        if (old.deleting && !local) continue
        if (old.owner === node) {
          if (!old.deleting) {
            const e: Entry = {
              ltime: local ? old.ltime + 1 : old.ltime,
              owner: old.owner,
              value: old.value,
              deleting: true,
              reapAt: this.cfg.now() + this.cfg.reapEntryIntervalMs,
            }
            this.setEntry(network, table, key, e, 'delete')
          }
        } else {
          this.removeEntry(network, table, key)
          if (!old.deleting) this.#notify('delete', network, table, key, old)
        }
      }
    }
  }

  /** A node left the cluster or failed: drop every entry it owns. */
  deleteNodeTableEntries(node: string): void {
    for (const [network, tables] of [...this.entries]) {
      for (const [table, keys] of [...tables]) {
        for (const [key, old] of [...keys]) {
          if (old.owner !== node) continue
          this.removeEntry(network, table, key)
          if (!old.deleting) this.#notify('delete', network, table, key, old)
        }
      }
    }
  }

  /** Forget every network attachment of a node that left or failed. */
  deleteNetworksOfNode(node: string): void {
    for (const network of [...this.networkNodes.keys()]) this.deleteNetworkNode(network, node)
    this.networks.delete(node)
  }

  // ---- remote events -------------------------------------------------------------------

  /** Apply a node event; true when it changed state (and should be rebroadcast). */
  handleNodeEvent(ev: NodeEvent): boolean {
    this.networkClock.witness(ev.ltime)
    if (ev.nodeName === this.self) return false
    const n = this.nodes.get(ev.nodeName)
    if (!n || n.ltime >= ev.ltime) return false
    n.ltime = ev.ltime
    if (ev.type === 'leave') {
      if (n.status === 'left') return false
      n.status = 'left'
      n.reapAt = this.cfg.now() + this.cfg.nodeReapIntervalMs
      this.deleteNodeTableEntries(n.name)
      this.deleteNetworksOfNode(n.name)
      return true
    }
    if (n.status === 'active') return false
    n.status = 'active'
    n.reapAt = 0
    return true
  }

  /** Apply a network event; true when it changed state. */
  handleNetworkEvent(ev: NetworkEvent): boolean {
    this.networkClock.witness(ev.ltime)
    if (ev.nodeName === this.self) return false
    const node = this.nodes.get(ev.nodeName)
    if (node && node.status === 'left') return false
    let nets = this.networks.get(ev.nodeName)
    const n = nets?.get(ev.networkId)
    if (n) {
      if (n.ltime >= ev.ltime) return false
      n.ltime = ev.ltime
      n.leaving = ev.type === 'leave'
      if (n.leaving) {
        n.reapAt = this.cfg.now() + this.cfg.reapNetworkIntervalMs
        this.deleteNetworkNode(ev.networkId, ev.nodeName)
        this.deleteNodeNetworkEntries(ev.networkId, ev.nodeName)
      } else {
        n.reapAt = 0
        this.#attach(ev.networkId, ev.nodeName)
      }
      return true
    }
    if (ev.type === 'leave') return false
    if (!nets) this.networks.set(ev.nodeName, (nets = new Map<string, NetworkAttachment>()))
    nets.set(ev.networkId, {
      id: ev.networkId,
      ltime: ev.ltime,
      leaving: false,
      reapAt: 0,
      inSync: false,
    })
    this.#attach(ev.networkId, ev.nodeName)
    return true
  }

  #attach(network: string, node: string): void {
    this.addNetworkNode(network, node)
    const own = this.ownNetwork(network)
    if (own && !own.leaving) this.sink?.peerJoinedNetwork?.(node, network)
  }

  /**
   * Apply a table event. Returns true when it changed state and this node's attachment is in
   * sync, that is when the event should be rebroadcast.
   */
  handleTableEvent(ev: TableEvent, fromBulkSync: boolean): boolean {
    this.tableClock.witness(ev.ltime)
    if (ev.nodeName === this.self) return false
    const own = this.ownNetwork(ev.networkId)
    const present = this.networkNodes.get(ev.networkId)?.has(ev.nodeName) ?? false
    if (!own || own.leaving || !present) return false
    const old = this.getEntry(ev.networkId, ev.tableName, ev.key)
    if (old) {
      // Higher clock wins; equal clocks (concurrent writes) go to the greater owner id, so
      // every node keeps the same version.
      if (old.ltime > ev.ltime || (old.ltime === ev.ltime && old.owner >= ev.nodeName)) {
        return false
      }
    } else if (ev.type === 'delete' && !fromBulkSync) {
      // An unknown entry's delete over UDP may be older than its reap time: ignore it.
      return false
    }
    const deleting = ev.type === 'delete'
    const reapSec = deleting ? ev.residualReapTime : 0
    const e: Entry = {
      ltime: ev.ltime,
      owner: ev.nodeName,
      value: ev.value,
      deleting,
      reapAt: deleting
        ? this.cfg.now() + (reapSec > 0 ? reapSec * 1000 : this.cfg.reapEntryIntervalMs)
        : 0,
    }
    if (!old && deleting) {
      // Remember the tombstone so a stale create cannot resurrect it; nobody saw it alive.
      this.setEntry(ev.networkId, ev.tableName, ev.key, e)
      return own.inSync && reapSec * 1000 > this.cfg.reapEntryIntervalMs / 6
    }
    let op: WatchEvent['type']
    if (deleting) op = 'delete'
    else if (!old || old.deleting) op = 'create'
    else op = 'update'
    if (deleting && old?.deleting) {
      this.setEntry(ev.networkId, ev.tableName, ev.key, e)
    } else {
      this.setEntry(ev.networkId, ev.tableName, ev.key, e, op)
    }
    return own.inSync
  }

  // ---- cluster membership (from the gossip layer) --------------------------------------

  memberJoined(name: string): void {
    if (name === this.self) return
    const n = this.nodes.get(name)
    if (n) {
      n.status = 'active'
      n.reapAt = 0
    } else {
      this.nodes.set(name, { name, ltime: 0, status: 'active', reapAt: 0 })
    }
  }

  /** The gossip layer lost a member: drop its entries; unless it said goodbye, it failed. */
  memberLeft(name: string): boolean {
    if (name === this.self) return false
    this.deleteNodeTableEntries(name)
    this.deleteNetworksOfNode(name)
    const n = this.nodes.get(name)
    if (!n || n.status !== 'active') return false
    n.status = 'failed'
    n.reapAt = this.cfg.now() + this.cfg.nodeReapIntervalMs
    return true
  }

  // ---- push/pull state -----------------------------------------------------------------

  localPushPull(): NetworkPushPull {
    const networks: NetworkPushPull['networks'] = []
    for (const [nodeName, nets] of this.networks) {
      for (const n of nets.values()) {
        networks.push({ networkId: n.id, ltime: n.ltime, nodeName, leaving: n.leaving })
      }
    }
    return { ltime: this.networkClock.time, networks, nodeName: this.self }
  }

  mergePushPull(pp: NetworkPushPull): void {
    this.networkClock.witness(pp.ltime)
    this.memberJoined(pp.nodeName)
    this.handleNodeEvent({ type: 'join', ltime: pp.ltime, nodeName: pp.nodeName })
    for (const n of pp.networks) {
      this.handleNetworkEvent({
        type: n.leaving ? 'leave' : 'join',
        ltime: n.ltime,
        nodeName: n.nodeName,
        networkId: n.networkId,
      })
    }
  }

  // ---- reaping -------------------------------------------------------------------------

  /** Remove tombstones, left networks and departed nodes whose reap time has come. */
  reap(): void {
    const now = this.cfg.now()
    for (const [network, tables] of [...this.entries]) {
      for (const [table, keys] of [...tables]) {
        for (const [key, e] of [...keys]) {
          if (e.deleting && e.reapAt <= now) this.removeEntry(network, table, key)
        }
      }
    }
    for (const [node, nets] of [...this.networks]) {
      for (const [id, n] of [...nets]) if (n.leaving && n.reapAt <= now) nets.delete(id)
      if (nets.size === 0) this.networks.delete(node)
    }
    for (const [name, n] of [...this.nodes]) {
      if (n.status !== 'active' && n.reapAt <= now) this.nodes.delete(name)
    }
  }
}
