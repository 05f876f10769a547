/** The membership layer on @libnetwork/gossip (memberlist's protocol). */
import { Gossip, type GossipConfig } from '@libnetwork/gossip'
import type { Membership, MembershipHooks } from './networkdb.js'

/** Gossip settings; the node name and delegate are NetworkDB's. */
export type GossipMembershipOptions = Omit<GossipConfig, 'name' | 'delegate'>

/**
 * What NetworkDB changes from memberlist's LAN profile: probe every 500 ms instead of every
 * second, which halves failure detection (suspicion timeouts scale with the probe interval) for
 * a few dozen bytes a second per node. Go nodes accept any probe rate; pass
 * `probeInterval: 1000` for upstream timing.
 */
export const NETWORKDB_GOSSIP_DEFAULTS: Readonly<GossipMembershipOptions> = {
  probeInterval: 500,
}

/**
 * Node metadata our nodes announce: "forwards NetworkDB table packets". Go NetworkDB announces
 * empty metadata and ignores ours, so only our nodes head fan-out groups.
 */
const FORWARDER_META = new TextEncoder().encode('lnts-ndb/1')

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

export class GossipMembership implements Membership {
  readonly gossip: Gossip
  #hooks: MembershipHooks | undefined
  #offs: (() => void)[] = []
  /**
   * The alive list and who forwards, cached: the cluster layer asks per packet and per event,
   * and gossip builds fresh member records (addresses parsed) for each question. Members come
   * and go (and change metadata) only with a join, leave or update event, which clears these.
   */
  #alive: string[] | undefined
  readonly #forwards = new Map<string, boolean>()

  /**
   * `forwarder: false` makes this node announce empty metadata like a Go node, so it never
   * heads a fan-out group (for tests of mixed clusters).
   */
  constructor(
    name: string,
    opts: GossipMembershipOptions = {},
    { forwarder = true }: { forwarder?: boolean } = {},
  ) {
    this.gossip = new Gossip({
      ...NETWORKDB_GOSSIP_DEFAULTS,
      ...opts,
      name,
      delegate: {
        nodeMeta: () => (forwarder ? FORWARDER_META : new Uint8Array(0)),
        notifyMessage: (p) => this.#hooks?.notifyMessage(p),
        getBroadcasts: (o, l) => this.#hooks?.getBroadcasts(o, l) ?? [],
        localState: (join) => this.#hooks?.localState(join) ?? new Uint8Array(0),
        mergeRemoteState: (s, join) => this.#hooks?.mergeRemoteState(s, join),
      },
    })
  }

  async start(hooks: MembershipHooks): Promise<void> {
    this.#hooks = hooks
    const clear = (): void => {
      this.#alive = undefined
      this.#forwards.clear()
    }
    this.#offs.push(
      this.gossip.on('join', (m) => {
        clear()
        hooks.memberJoined(m.name)
      }),
      this.gossip.on('leave', (m) => {
        clear()
        hooks.memberLeft(m.name)
      }),
      this.gossip.on('update', clear),
    )
    await this.gossip.start()
  }

  alive(): string[] {
    if (this.#alive) return [...this.#alive]
    const self = this.gossip.name
    const names = this.gossip
      .members()
      .map((m) => m.name)
      .filter((n) => n !== self)
    if (this.#offs.length > 0) this.#alive = names // only while events keep it fresh
    return [...names]
  }

  sendBestEffort(node: string, payload: Uint8Array): void {
    this.gossip.sendBestEffort(node, payload)
  }

  sendBestEffortMany(nodes: readonly string[], payload: Uint8Array): void {
    this.gossip.sendBestEffortMany(nodes, payload)
  }

  async sendReliable(node: string, payload: Uint8Array): Promise<void> {
    await this.gossip.sendReliable(node, payload)
  }

  async join(seeds: string[]): Promise<number> {
    return this.gossip.join(seeds)
  }

  async leave(): Promise<void> {
    try {
      await this.gossip.leave({ timeoutMs: 2_000 })
    } finally {
      for (const off of this.#offs) off()
      this.#offs = []
      await this.gossip.stop()
    }
  }

  forwards(name: string): boolean {
    const known = this.#forwards.get(name)
    if (known !== undefined) return known
    const m = this.gossip.member(name)
    const yes = m !== undefined && sameBytes(m.meta, FORWARDER_META)
    // unknown members are not cached: they may join any moment
    if (m !== undefined && this.#offs.length > 0) this.#forwards.set(name, yes)
    return yes
  }

  async pushPullWith(name: string): Promise<void> {
    await this.gossip.pushPullWith(name)
  }

  addressOf(name: string): string | undefined {
    const m = this.gossip.member(name)
    return m ? `${m.addr.toString()}:${m.port}` : undefined
  }

  get keyring(): Membership['keyring'] {
    const k = this.gossip.keyring
    if (!k) return undefined
    return {
      install: (key) => k.addKey(key),
      use: (key) => k.useKey(key),
      remove: (key) => k.removeKey(key),
    }
  }
}
