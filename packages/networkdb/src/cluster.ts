/**
 * The cluster half of NetworkDB: turns state changes into gossip and gossip into state changes.
 *
 * Placement follows upstream so Go nodes interoperate: table events travel in a NetworkDB
 * COMPOUND inside a memberlist user packet; node and network events ride memberlist's own
 * broadcasts; bulk sync is a stream user message answered on a new connection.
 *
 * Speed: a node's own table events are pushed at once to every node of the network, packed
 * into full packets (a burst is flushed as soon as a packet fills, the tail on the next turn of
 * the event loop), instead of ~10 events per 200 ms. In networks of more than `fanout` other
 * members the owner sends to `fanout` group heads, which forward to their groups (see
 * `groups`). Events learned from a bulk sync (someone had missed them) and, in
 * `relay: 'gossip'` mode, every event that changed local state are re-gossiped upstream's way:
 * a per-network transmit-limited queue, to 3 random members.
 */
import {
  MessageType,
  compoundParts,
  decodeGossip,
  decodeTableEventAt,
  envelopeAt,
  encodeCompound,
  encodeNetworkEvent,
  encodeNodeEvent,
  encodeTableEventEnveloped,
  envelope,
  decodeNetworkPushPull,
  openEnvelope,
  encodeNetworkPushPull,
  type NetworkEvent,
  type NodeEvent,
  type TableEvent,
} from './proto.js'
import { BroadcastQueue } from './queue.js'
import { BulkSyncer } from './bulksync.js'
import { receive, type InboxTask } from './slice.js'
import { PACKET_OVERHEAD, PART_OVERHEAD, groups, pick, type Seen } from './fanout.js'
import type { State, StateSink } from './state.js'

/** What NetworkDB needs from the membership layer. */
export interface Link {
  /** Names of the members currently alive, this node excluded. */
  alive(): string[]
  /** One UDP user message to a member. */
  sendBestEffort(node: string, payload: Uint8Array): void
  /**
   * The same UDP user message to several members, encoded (compressed) once. Throws, sending
   * nothing, when a member is unknown. When absent, `sendBestEffort` is called per member.
   */
  sendBestEffortMany?(nodes: readonly string[], payload: Uint8Array): void
  /** One stream (TCP) user message to a member. */
  sendReliable(node: string, payload: Uint8Array): Promise<void>
  /**
   * Whether a member forwards table packets for the fan-out tree (our nodes do, Go nodes do
   * not). When absent every member is taken to forward.
   */
  forwards?(node: string): boolean
}

export interface ClusterOptions {
  /** Table gossip round, ms (upstream 200). */
  gossipIntervalMs: number
  /** Periodic bulk sync, ms (upstream 30,000; 0 disables). */
  bulkSyncIntervalMs: number
  /** Wait for a bulk-sync answer, ms (upstream 30,000). */
  bulkSyncTimeoutMs: number
  /** Resend an unanswered bulk sync after this long, ms, doubling (default 1,000). */
  bulkSyncRetryMs: number
  /** Largest packet payload built (memberlist default 1,400). */
  packetSize: number
  /**
   * 'direct' (default): own events go straight to every member; re-gossiped are the events
   * owned by nodes that do not forward (Go nodes: their writers reach only 3 members a round,
   * so the others need relays, as in an all-Go cluster) and events learned from bulk sync.
   * 'gossip': every change is re-gossiped, as Go does.
   */
  relay: 'direct' | 'gossip'
  /** Members a gossip round reaches (upstream 3). */
  gossipNodes: number
  /**
   * Copies of an own table packet the owner sends; members beyond that get it from a group
   * head (0: the owner sends to every member). Default 3.
   */
  fanout: number
}

/** Own packets a burst may send by UDP within BURST_WINDOW_MS before it moves to streams. */
const BURST_PACKETS = 64
const BURST_WINDOW_MS = 250
/** Table events per stream message of a burst (a few ms to apply). */
const STREAM_EVENTS = 250

interface Pending {
  parts: Uint8Array[]
  bytes: number
}

export class Cluster implements StateSink {
  readonly #state: State
  readonly #link: Link
  readonly #opts: ClusterOptions
  /** Node and network events for memberlist to piggy-back. */
  readonly broadcasts: BroadcastQueue
  readonly #relay = new Map<string, BroadcastQueue>()
  readonly #pending = new Map<string, Pending>()
  #flushScheduled = false
  /** Own packets sent by UDP in the current burst window. */
  #burst = { start: 0, packets: 0 }
  /** Own events of a burst past the UDP budget, sent over streams at the end of the turn. */
  readonly #streamed = new Map<string, Uint8Array[]>()
  #streamScheduled = false
  /** Per member: the previous stream send, so a member gets a burst's messages in order. */
  readonly #streamChain = new Map<string, Promise<void>>()
  readonly #bulk: BulkSyncer
  #timers: NodeJS.Timeout[] = []
  #stopped = false
  /** Nodes back from failure: bulk sync with them once they reappear in a network. */
  readonly recovering = new Set<string>()
  /** Traffic counters (NetworkDB payload bytes, before memberlist framing). */
  readonly stats = {
    /** Table-event packets sent (own pushes and relays). */
    tableBytesSent: 0,
    /** Table-event packets received (compounds and single table events, not bulk sync). */
    tableBytesReceived: 0,
    /** Table events received over gossip. */
    tableEventsReceived: 0,
    /** Bulk-sync messages sent and received, bytes. */
    bulkBytesSent: 0,
    bulkBytesReceived: 0,
    /** Every user message received, bytes. */
    bytesReceived: 0,
    /** Packets the gossip layer refused (unknown member, stopped). */
    sendErrors: 0,
    /** Bulk syncs started, resent after a lost answer, and tombstones left out of them. */
    bulkSyncs: 0,
    bulkRetries: 0,
    tombstonesSkipped: 0,
    /** Resends of a sync being answered or just answered, not answered again. */
    bulkResendsIgnored: 0,
    /** Slices bulk syncs were applied in (each at most a few ms of work). */
    bulkSlices: 0,
    /** Received messages that had to wait for a later turn of the event loop. */
    receivedLater: 0,
    /** Received messages dropped because too many were waiting (as a full socket buffer). */
    receivedDropped: 0,
  }

  constructor(state: State, link: Link, opts: ClusterOptions) {
    this.#state = state
    this.#link = link
    this.#opts = opts
    this.broadcasts = new BroadcastQueue(() => this.#link.alive().length + 1)
    this.#bulk = new BulkSyncer(
      state,
      link,
      { timeoutMs: opts.bulkSyncTimeoutMs, retryMs: opts.bulkSyncRetryMs },
      this.stats,
      (payload) => this.#applyBulk(payload),
    )
  }

  start(): void {
    const t1 = setInterval(() => this.#gossipRound(), this.#opts.gossipIntervalMs)
    t1.unref()
    this.#timers.push(t1)
    if (this.#opts.bulkSyncIntervalMs > 0) {
      const t2 = setInterval(() => void this.#periodicBulkSync(), this.#opts.bulkSyncIntervalMs)
      t2.unref()
      this.#timers.push(t2)
    }
  }

  stop(): void {
    this.#stopped = true
    for (const t of this.#timers) clearInterval(t)
    this.#timers = []
    this.#bulk.stop()
  }

  // ---- StateSink: what the state machine wants sent --------------------------------------

  table(ev: TableEvent, raw?: Uint8Array): void {
    if (ev.nodeName === this.#state.self) {
      this.#push(ev.networkId, raw ?? encodeTableEventEnveloped(ev))
      return
    }
    // a copy: `raw` may be a view into a whole received packet or bulk sync
    const msg = raw ? raw.slice() : encodeTableEventEnveloped(ev)
    this.#relayQueue(ev.networkId).queue(`${ev.tableName}/${ev.key}`, msg)
  }

  node(ev: NodeEvent, raw?: Uint8Array): void {
    const msg = raw ?? envelope(MessageType.NodeEvent, encodeNodeEvent(ev))
    this.broadcasts.queue(`node/${ev.nodeName}`, msg)
  }

  network(ev: NetworkEvent, raw?: Uint8Array): void {
    const msg = raw ?? envelope(MessageType.NetworkEvent, encodeNetworkEvent(ev))
    this.broadcasts.queue(`net/${ev.networkId}/${ev.nodeName}`, msg)
  }

  /**
   * A node appeared in one of our networks. A node back from a failure is synced at once. A
   * new member normally bulk-syncs with us itself; if it did not (it joined before it knew we
   * were in the network), we sync with it, so nothing waits for the periodic sync.
   */
  peerJoinedNetwork(node: string, network: string): void {
    if (this.recovering.delete(node)) {
      void this.bulkSync(network, [node])
      return
    }
    const t = setTimeout(() => {
      if (this.#bulk.heardFrom(node, network, 5_000)) return
      if (!this.#state.networkNodes.get(network)?.has(node)) return
      void this.bulkSync(network, [node])
    }, this.#opts.gossipIntervalMs)
    t.unref()
  }

  // ---- sending table events ------------------------------------------------------------

  #relayQueue(network: string): BroadcastQueue {
    let q = this.#relay.get(network)
    if (!q) {
      q = new BroadcastQueue(() => this.#state.networkNodes.get(network)?.size ?? 0)
      this.#relay.set(network, q)
    }
    return q
  }

  get #budget(): number {
    return this.#opts.packetSize - PACKET_OVERHEAD
  }

  /** Queue an own event for every member of the network; flush when a packet is full. */
  #push(network: string, msg: Uint8Array): void {
    let p = this.#pending.get(network)
    if (!p) this.#pending.set(network, (p = { parts: [], bytes: 0 }))
    if (p.bytes + msg.length + PART_OVERHEAD > this.#budget && p.parts.length > 0) {
      this.#flush(network)
      this.#pending.set(network, (p = { parts: [], bytes: 0 }))
    }
    p.parts.push(msg)
    p.bytes += msg.length + PART_OVERHEAD
    if (!this.#flushScheduled) {
      this.#flushScheduled = true
      setImmediate(() => {
        this.#flushScheduled = false
        for (const n of [...this.#pending.keys()]) this.#flush(n)
      })
    }
  }

  #flush(network: string): void {
    const p = this.#pending.get(network)
    this.#pending.delete(network)
    if (!p || p.parts.length === 0) return
    const now = performance.now()
    if (now - this.#burst.start > BURST_WINDOW_MS) this.#burst = { start: now, packets: 0 }
    if (this.#burst.packets >= BURST_PACKETS) {
      // A large burst: UDP would outrun busy receivers and lose packets (repaired only by
      // the next bulk sync). Send the rest over streams: TCP's flow control paces it.
      let list = this.#streamed.get(network)
      if (!list) this.#streamed.set(network, (list = []))
      list.push(...p.parts)
      if (!this.#streamScheduled) {
        this.#streamScheduled = true
        setImmediate(() => this.#flushStreams())
      }
      return
    }
    this.#burst.packets++
    const packet = envelope(MessageType.Compound, encodeCompound(p.parts))
    this.#sendMany(
      this.#tree(this.#state.self, network).map((g) => g[0]!),
      packet,
    )
  }

  /** Send the streamed part of a burst: compounds of up to STREAM_EVENTS events, in order. */
  #flushStreams(): void {
    this.#streamScheduled = false
    for (const [network, parts] of this.#streamed) {
      this.#streamed.delete(network)
      const members = this.#peers(network)
      for (let i = 0; i < parts.length; i += STREAM_EVENTS) {
        const msg = envelope(
          MessageType.Compound,
          encodeCompound(parts.slice(i, i + STREAM_EVENTS)),
        )
        for (const node of members) {
          const prev = this.#streamChain.get(node) ?? Promise.resolve()
          const next = prev
            .then(() => this.#link.sendReliable(node, msg))
            .then(
              () => void (this.stats.tableBytesSent += msg.length),
              () => void this.stats.sendErrors++,
            )
          this.#streamChain.set(node, next)
          void next.then(() => {
            if (this.#streamChain.get(node) === next) this.#streamChain.delete(node)
          })
        }
      }
    }
  }

  /**
   * Who forwards an owner's packets: the network's other members (sorted, rotated by the
   * owner so load spreads) cut into `fanout` groups. The owner sends to each group's head;
   * the head forwards to the rest of its group. Every member gets each packet once, and the
   * owner sends `fanout` copies instead of one per member. Small networks get direct sends.
   */
  #tree(owner: string, network: string): string[][] {
    const self = this.#state.self
    const alive = new Set(this.#link.alive())
    const members = [...(this.#state.networkNodes.get(network) ?? [])].filter(
      (n) => n !== owner && (n === self || alive.has(n)),
    )
    // Members that do not forward (Go nodes) get their own direct copy.
    const forwards = (n: string): boolean => this.#link.forwards?.(n) ?? true
    const direct = members.filter((n) => !forwards(n)).map((n) => [n])
    return [...groups(members.filter(forwards), owner, this.#opts.fanout), ...direct]
  }

  /** Forward an owner's packet to our group when we head it. */
  #forward(packet: Uint8Array, seen: Seen): void {
    if (!seen.owner || !seen.network || seen.owner === this.#state.self) return
    const own = this.#state.ownNetwork(seen.network)
    if (!own || own.leaving) return
    const group = this.#tree(seen.owner, seen.network).find((g) => g[0] === this.#state.self)
    if (!group) return
    this.#sendMany(group.slice(1), packet)
  }

  #send(node: string, packet: Uint8Array): void {
    try {
      this.#link.sendBestEffort(node, packet)
      this.stats.tableBytesSent += packet.length
    } catch {
      // A member gone from the gossip layer, or gossip stopped: best effort means dropped;
      // bulk sync repairs. Never let a timer callback throw.
      this.stats.sendErrors++
    }
  }

  /** One packet to several members: compressed once when the link can. */
  #sendMany(nodes: readonly string[], packet: Uint8Array): void {
    if (nodes.length === 0) return
    if (nodes.length > 1 && this.#link.sendBestEffortMany) {
      try {
        this.#link.sendBestEffortMany(nodes, packet)
        this.stats.tableBytesSent += packet.length * nodes.length
        return
      } catch {
        // a member gone from gossip: send one by one, so the others still get it
      }
    }
    for (const node of nodes) this.#send(node, packet)
  }

  /** Alive members attached to the network, this node excluded. */
  #peers(network: string): string[] {
    const members = this.#state.networkNodes.get(network)
    if (!members) return []
    const alive = new Set(this.#link.alive())
    return [...members].filter((n) => n !== this.#state.self && alive.has(n))
  }

  #gossipRound(): void {
    for (const [network, q] of this.#relay) {
      const own = this.#state.ownNetwork(network)
      if (!own || own.leaving) {
        this.#relay.delete(network)
        continue
      }
      if (q.length === 0) continue
      const parts = q.take(PART_OVERHEAD, this.#budget)
      if (parts.length === 0) continue
      const packet = envelope(MessageType.Compound, encodeCompound(parts))
      this.#sendMany(pick(this.#peers(network), this.#opts.gossipNodes), packet)
    }
  }

  // ---- receiving -----------------------------------------------------------------------

  /**
   * A memberlist user message (UDP, piggy-backed broadcast or stream). It is handled now, or
   * in a later turn of the event loop when this turn's budget for received messages is used up
   * (see `receive` in slice.ts): a burst of packets or a stream of hundreds of events never
   * holds the loop for long. Messages are handled in the order they arrived.
   */
  notifyMessage(buf: Uint8Array): void {
    if (this.#stopped) return
    const st = this.stats
    st.bytesReceived += buf.length
    // The envelope starts with field 1 (tag 0x08) holding the message type.
    const type = buf[0] === 0x08 ? buf[1] : undefined
    if (type === MessageType.Compound || type === MessageType.TableEvent) {
      st.tableBytesReceived += buf.length
    } else if (type === MessageType.BulkSync) {
      st.bulkBytesReceived += buf.length
      // Not behind the queue: a request is answered at once (the answer is built in slices)
      // and an answer stops the initiator's resends on arrival. Waiting behind hundreds of
      // queued packets made a loaded node answer after the initiator's retry time, so every
      // join-time sync was sent twice and answered twice (issue 23). Applying what a sync
      // carries still goes through the queue, in order with the packets before it.
      this.#receive(buf, type)
      return
    }
    const task: InboxTask =
      type === MessageType.Compound && buf.length > this.#opts.packetSize
        ? this.#partsTask(buf)
        : () => {
            if (!this.#stopped) this.#receive(buf, type)
            return true
          }
    const r = receive(task)
    if (r === 'queued') st.receivedLater++
    else if (r === 'dropped') st.receivedDropped++
  }

  /**
   * A large compound (the streamed tail of a burst, hundreds of events) is handled part by
   * part, and can stop between parts when the turn's budget is used up. Such compounds came
   * to every member directly: they are never forwarded.
   */
  #partsTask(buf: Uint8Array): InboxTask {
    let parts: ReturnType<typeof compoundParts> | undefined
    return (due) => {
      if (this.#stopped) return true
      if (!parts) {
        const env = envelopeAt(buf, 0, buf.length)
        parts = compoundParts(buf, env.start, env.end)
      }
      for (let r = parts.next(); !r.done; r = parts.next()) {
        const [start, end] = r.value
        try {
          this.#handle(buf.subarray(start, end), false)
        } catch {
          // one bad part does not spoil the others
        }
        if (due()) return false
      }
      return true
    }
  }

  /** Handle one received message whole; forward an owner's packet when we head its group. */
  #receive(buf: Uint8Array, type: number | undefined): void {
    try {
      const seen: Seen = {}
      this.#handle(buf, false, seen)
      // Own packets of our nodes fit a packet; a larger compound came by stream to every
      // member directly (the tail of a burst): forwarding it would send a duplicate of tens
      // of KB by UDP.
      if (
        type === MessageType.Compound &&
        seen.tableOnly !== false &&
        buf.length <= this.#opts.packetSize
      ) {
        this.#forward(buf, seen)
      }
    } catch {
      // Malformed or unknown messages from the network are dropped, as upstream does.
    }
  }

  #handle(buf: Uint8Array, fromBulkSync: boolean, seen?: Seen): void {
    const msg = decodeGossip(buf)
    switch (msg.type) {
      case 'node':
        if (seen) seen.tableOnly = false
        if (this.#state.handleNodeEvent(msg.message)) this.node(msg.message, buf)
        return
      case 'network':
        if (seen) seen.tableOnly = false
        if (this.#state.handleNetworkEvent(msg.message)) this.network(msg.message, buf)
        return
      case 'table':
        if (seen) {
          const { nodeName, networkId } = msg.message
          seen.owner = seen.owner === undefined || seen.owner === nodeName ? nodeName : null
          seen.network = seen.network === undefined || seen.network === networkId ? networkId : null
        }
        if (!fromBulkSync) this.stats.tableEventsReceived++
        this.#tableEvent(msg.message, fromBulkSync, buf)
        return
      case 'compound':
        for (const part of msg.message) {
          try {
            this.#handle(part, fromBulkSync, seen)
          } catch {
            // one bad part does not spoil the others
          }
        }
        return
      case 'bulk-sync':
        void this.#bulk.handle(msg.message).catch(() => {
          // a malformed payload or a failed answer: the initiator retries or times out
        })
        return
      case 'push-pull':
        this.#state.mergePushPull(msg.message)
        return
    }
  }

  /** Apply a remote table event; relay it when it changed our state and should travel on. */
  #tableEvent(ev: TableEvent, fromBulkSync: boolean, raw: Uint8Array): void {
    if (!this.#state.handleTableEvent(ev, fromBulkSync)) return
    if (fromBulkSync || this.#opts.relay === 'gossip' || !this.#forwards(ev.nodeName)) {
      this.table(ev, raw)
    }
  }

  #forwards(node: string): boolean {
    return this.#link.forwards?.(node) ?? true
  }

  /**
   * Apply a bulk sync's payload (a compound of table events) in slices: it goes through the
   * queue of received messages, so it is applied in order with the packets that arrived before
   * it (an entry is not learned from a sync, and re-gossiped, while its own packet waits), and
   * within the same budget per turn.
   */
  #applyBulk(payload: Uint8Array): Promise<void> {
    const env = envelopeAt(payload, 0, payload.length)
    if (env.type !== MessageType.Compound) {
      this.#handle(payload, true)
      return Promise.resolve()
    }
    const parts = compoundParts(payload, env.start, env.end)
    return new Promise<void>((resolve) => {
      const task: InboxTask = (due) => {
        this.stats.bulkSlices++
        try {
          for (let r = this.#stopped ? undefined : parts.next(); r && !r.done; r = parts.next()) {
            const [start, end] = r.value
            try {
              const part = envelopeAt(payload, start, end)
              if (part.type === MessageType.TableEvent) {
                const ev = decodeTableEventAt(payload, part.start, part.end)
                this.#tableEvent(ev, true, payload.subarray(start, end))
              } else this.#handle(payload.subarray(start, end), true)
            } catch {
              // one bad part does not spoil the others
            }
            if (due()) return false
          }
        } catch {
          // a malformed compound: what was applied stays
        }
        resolve()
        return true
      }
      if (receive(task) === 'dropped') resolve()
    })
  }

  /** A node left or failed: the next sync with it carries every tombstone. */
  forget(node: string): void {
    this.#bulk.forget(node)
  }

  /** Table events of a network waiting in the relay queue (upstream's `qlen`). */
  relayQueued(network: string): number {
    return this.#relay.get(network)?.length ?? 0
  }

  // ---- bulk sync -----------------------------------------------------------------------

  /** Exchange a network's entries with some members; resolves when all answered or timed out. */
  async bulkSync(network: string, nodes: string[]): Promise<void> {
    await this.#bulk.sync(network, nodes)
  }

  /** One bulk sync per member; each promise tells whether that member answered. */
  bulkSyncEach(network: string, nodes: string[]): Promise<boolean>[] {
    return this.#bulk.syncEach(network, nodes)
  }

  async #periodicBulkSync(): Promise<void> {
    const jobs: Promise<void>[] = []
    for (const [network, n] of this.#state.networks.get(this.#state.self) ?? []) {
      if (n.leaving) continue
      jobs.push(this.bulkSync(network, pick(this.#peers(network), 2)))
    }
    await Promise.all(jobs)
  }

  // ---- push/pull -----------------------------------------------------------------------

  localState(): Uint8Array {
    return envelope(MessageType.PushPull, encodeNetworkPushPull(this.#state.localPushPull()))
  }

  /**
   * A push/pull's state, applied at once (not queued behind received messages): the caller
   * (a cluster join, `joinNetwork`'s introductions) goes on with the membership it brings.
   */
  mergeRemoteState(buf: Uint8Array): void {
    try {
      const { type, data } = openEnvelope(buf)
      if (type !== MessageType.PushPull) return
      this.#state.mergePushPull(decodeNetworkPushPull(data))
    } catch {
      // ignore a malformed state
    }
  }

  /** Nodes of a network to sync with on join (every other alive member). */
  peersOf(network: string): string[] {
    return this.#peers(network)
  }
}
