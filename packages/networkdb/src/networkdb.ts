import { BadRequestError, UnavailableError } from '@libnetwork/types'
import { Cluster, type ClusterOptions, type Link } from './cluster.js'
import { pick } from './fanout.js'
import { LocalDB, type NetworkDBOptions } from './db.js'

/** The callbacks NetworkDB gives its membership layer (memberlist's delegate and events). */
export interface MembershipHooks {
  notifyMessage(payload: Uint8Array): void
  getBroadcasts(overhead: number, limit: number): Uint8Array[]
  localState(join: boolean): Uint8Array
  mergeRemoteState(state: Uint8Array, join: boolean): void
  memberJoined(name: string): void
  memberLeft(name: string): void
}

/** The membership layer NetworkDB runs on: gossip (memberlist), or a double in unit tests. */
export interface Membership extends Link {
  start(hooks: MembershipHooks): Promise<void>
  /** Join the cluster through these `host:port` seeds; resolves with the number reached. */
  join(seeds: string[]): Promise<number>
  /** Leave gracefully (broadcast our departure) and shut down. */
  leave(): Promise<void>
  /** Exchange state (push/pull) with a member now, e.g. one back from a failure. */
  pushPullWith?(name: string): Promise<void>
  /** Address (`host:port`) of a member, for reconnecting to it after a failure. */
  addressOf?(name: string): string | undefined
  keyring?:
    | {
        install(key: Uint8Array): void
        use(key: Uint8Array): void
        remove(key: Uint8Array): void
      }
    | undefined
}

export interface ClusterDBOptions extends NetworkDBOptions, Partial<ClusterOptions> {
  membership: Membership
  /** Retry one failed node this often, ms (upstream 60,000). */
  reconnectIntervalMs?: number
}

/**
 * NetworkDB: the local database plus network-scoped gossip over a membership layer.
 * Entries of a network reach every node that joined it, and only those.
 */
export class NetworkDB extends LocalDB {
  readonly #m: Membership
  readonly cluster: Cluster
  readonly #reconnectMs: number
  #timer: NodeJS.Timeout | undefined
  #running = false

  constructor(opts: ClusterDBOptions) {
    super(opts)
    if (!opts.membership) {
      throw new BadRequestError('networkdb.bad-option', 'a membership layer is required', {
        details: {},
      })
    }
    this.#m = opts.membership
    this.#reconnectMs = opts.reconnectIntervalMs ?? 60_000
    this.cluster = new Cluster(this.state, this.#m, {
      gossipIntervalMs: opts.gossipIntervalMs ?? 200,
      bulkSyncIntervalMs: opts.bulkSyncIntervalMs ?? 30_000,
      bulkSyncTimeoutMs: opts.bulkSyncTimeoutMs ?? 30_000,
      bulkSyncRetryMs: opts.bulkSyncRetryMs ?? 1_000,
      packetSize: opts.packetSize ?? 1400,
      relay: opts.relay ?? 'direct',
      gossipNodes: opts.gossipNodes ?? 3,
      fanout: opts.fanout ?? 3,
    })
    this.state.sink = this.cluster
  }

  override async start(): Promise<void> {
    if (this.#running) return
    const c = this.cluster
    const s = this.state
    await this.#m.start({
      notifyMessage: (p) => c.notifyMessage(p),
      getBroadcasts: (o, l) => c.broadcasts.take(o, l),
      localState: () => c.localState(),
      mergeRemoteState: (b) => c.mergeRemoteState(b),
      memberJoined: (name) => {
        const old = s.nodes.get(name)
        s.memberJoined(name)
        if (old && old.status === 'failed') {
          // Back from a (possibly false) failure: its network attachments were forgotten.
          // Get them now rather than at the next periodic push/pull; then bulk sync.
          c.recovering.add(name)
          this.#m.pushPullWith?.(name).catch(() => {
            // it failed again; the reconnect loop and periodic push/pull go on
          })
        }
      },
      memberLeft: (name) => {
        s.memberLeft(name)
        c.forget(name)
      },
    })
    this.#running = true
    await super.start()
    c.start()
    this.#timer = setInterval(() => void this.#reconnect(), this.#reconnectMs)
    this.#timer.unref()
  }

  /** Join the cluster through seed addresses, then announce this node. */
  async join(seeds: string[]): Promise<number> {
    this.#mustRun()
    const n = await this.#m.join(seeds)
    this.cluster.node({
      type: 'join',
      ltime: this.state.networkClock.increment(),
      nodeName: this.nodeId,
    })
    return n
  }

  async #reconnect(): Promise<void> {
    const failed = [...this.state.nodes.values()].filter((n) => n.status === 'failed')
    const [target] = pick(failed, 1)
    const addr = target && this.#m.addressOf?.(target.name)
    if (!addr) return
    try {
      await this.#m.join([addr])
    } catch {
      // still gone; retried until its reap time
    }
  }

  #mustRun(): void {
    if (!this.#running) {
      throw new UnavailableError('networkdb.not-started', 'NetworkDB is not started', {
        details: { nodeId: this.nodeId },
      })
    }
  }

  /** Join a network: announce it, then bulk sync with every member already in it. */
  override async joinNetwork(network: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.#mustRun()
    const ltime = this.attach(network)
    this.cluster.network({ type: 'join', ltime, nodeName: this.nodeId, networkId: network })
    const peers = this.cluster.peersOf(network)
    // Introduce ourselves to each peer first: a node that joined the cluster a moment ago is
    // not yet known to every member (gossip takes a few rounds), and a peer cannot answer a
    // bulk sync from a node it does not know. A push/pull is one small round trip.
    await this.#introduce(peers)
    // The table has arrived with the first answer (every member holds the whole table); the
    // other answers are applied as they come. The attachment counts as in sync (its changes
    // are relayed) only once every join-time sync has ended.
    const each = this.cluster.bulkSyncEach(network, peers)
    const all = Promise.all(each).then(() => {
      const own = this.state.ownNetwork(network)
      if (own && !own.leaving) own.inSync = true
    })
    const first = new Promise<void>((resolve) => {
      for (const p of each) void p.then((answered) => answered && resolve())
      void all.then(() => resolve())
    })
    if (opts.signal) {
      const signal = opts.signal
      await Promise.race([
        first,
        new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        ),
      ])
    } else {
      await first
    }
  }

  /** Push/pull with each of these members that may not know us yet (bounded wait). */
  async #introduce(peers: string[]): Promise<void> {
    const pp = this.#m.pushPullWith?.bind(this.#m)
    if (!pp || peers.length === 0) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      Promise.allSettled(peers.map((p) => pp(p))),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, 2_000))),
    ])
    clearTimeout(timer)
  }

  /** Leave a network: announce it; our entries there die on every node. */
  override async leaveNetwork(network: string): Promise<void> {
    this.#mustRun()
    const ltime = this.detach(network)
    this.cluster.network({ type: 'leave', ltime, nodeName: this.nodeId, networkId: network })
  }

  /** Announce our departure, leave the cluster and stop every timer. */
  override async stop(): Promise<void> {
    if (!this.#running) return
    this.#running = false
    clearInterval(this.#timer)
    this.cluster.node({
      type: 'leave',
      ltime: this.state.networkClock.increment(),
      nodeName: this.nodeId,
    })
    // As upstream, let the leave event go out before memberlist's own leave.
    const end = Date.now() + 2_000
    while (
      this.#m.alive().length > 0 &&
      this.cluster.broadcasts.has(`node/${this.nodeId}`) &&
      Date.now() < end
    ) {
      await new Promise((r) => setTimeout(r, 20))
    }
    try {
      await this.#m.leave()
    } finally {
      this.cluster.stop()
      await super.stop()
    }
  }

  /** The IP address gossip knows for a cluster node (this one included), if any. */
  peerAddress(name: string): string | undefined {
    const a = this.#m.addressOf?.(name)
    return a === undefined ? undefined : a.slice(0, a.lastIndexOf(':')).replace(/^\[|\]$/g, '')
  }

  /** Add an encryption key to the keyring. */
  setKey(key: Uint8Array): void {
    this.#keyring().install(key)
  }
  /** Make an installed key the one used to encrypt. */
  setPrimaryKey(key: Uint8Array): void {
    this.#keyring().use(key)
  }
  /** Remove a key that is not the primary. */
  removeKey(key: Uint8Array): void {
    this.#keyring().remove(key)
  }

  #keyring(): NonNullable<Membership['keyring']> {
    const k = this.#m.keyring
    if (!k) {
      throw new UnavailableError('networkdb.no-keyring', 'the membership layer has no keyring', {
        details: {},
      })
    }
    return k
  }
}
