/**
 * Bulk sync, as upstream: the initiator sends every entry of some networks as an unsolicited
 * BulkSyncMessage over a stream; the peer applies them and answers with its own entries on a
 * new stream (unsolicited false), which is the initiator's ack.
 */
import { bulkSyncMessage } from './fanout.js'
import type { BulkSyncMessage } from './proto.js'
import type { State } from './state.js'

/** The part of the membership layer bulk sync uses. */
export interface StreamLink {
  sendReliable(node: string, payload: Uint8Array): Promise<void>
}

export class BulkSyncer {
  readonly #state: State
  readonly #link: StreamLink
  readonly #timeoutMs: number
  readonly #stats: { bulkBytesSent: number }
  readonly #apply: (payload: Uint8Array) => void
  readonly #acks = new Map<string, () => void>()
  readonly #syncing = new Map<string, Promise<void>>()
  /** When a member last bulk-synced a network with us (`node/network` → ms). */
  readonly #heard = new Map<string, number>()

  constructor(
    state: State,
    link: StreamLink,
    timeoutMs: number,
    stats: { bulkBytesSent: number },
    apply: (payload: Uint8Array) => void,
  ) {
    this.#state = state
    this.#link = link
    this.#timeoutMs = timeoutMs
    this.#stats = stats
    this.#apply = apply
  }

  /** True when `node` bulk-synced `network` with us in the last `withinMs`. */
  heardFrom(node: string, network: string, withinMs: number): boolean {
    const at = this.#heard.get(`${node}/${network}`)
    return at !== undefined && Date.now() - at < withinMs
  }

  /** Exchange a network's entries with some members; resolves when all answered or timed out. */
  async sync(network: string, nodes: string[]): Promise<void> {
    await Promise.all(nodes.map((node) => this.#syncWith(node, [network])))
  }

  /** Release every waiter (on stop). */
  stop(): void {
    for (const resolve of this.#acks.values()) resolve()
    this.#acks.clear()
  }

  /** One bulk sync at a time per peer (its answer is matched by node name, as upstream). */
  #syncWith(node: string, networks: string[]): Promise<void> {
    const prev = this.#syncing.get(node)
    const next = prev
      ? prev.then(() => this.#syncOnce(node, networks))
      : this.#syncOnce(node, networks)
    this.#syncing.set(node, next)
    void next.then(() => {
      if (this.#syncing.get(node) === next) this.#syncing.delete(node)
    })
    return next
  }

  async #syncOnce(node: string, networks: string[]): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const answered = new Promise<void>((resolve) => {
      this.#acks.set(node, resolve)
      timer = setTimeout(resolve, this.#timeoutMs)
      timer.unref()
    })
    try {
      const msg = bulkSyncMessage(this.#state, networks, true)
      this.#stats.bulkBytesSent += msg.length
      await this.#link.sendReliable(node, msg)
      await answered
    } catch {
      // unreachable peer: the periodic sync will try another
    } finally {
      clearTimeout(timer)
      this.#acks.delete(node)
    }
  }

  /** A bulk sync arrived: apply it; answer an initiator, or take an answer as the ack. */
  handle(bsm: BulkSyncMessage): void {
    const state = this.#state
    if (bsm.ltime > 0) state.tableClock.witness(bsm.ltime)
    const now = Date.now()
    for (const n of bsm.networks) {
      this.#heard.set(`${bsm.nodeName}/${n}`, now)
      // A sync for a network proves the sender is in it: push to it from now on, even before
      // its network event arrives by gossip.
      if (bsm.unsolicited && state.nodes.get(bsm.nodeName)?.status === 'active') {
        const att = state.networks.get(bsm.nodeName)?.get(n)
        if (!att?.leaving) state.addNetworkNode(n, bsm.nodeName)
      }
    }
    this.#apply(bsm.payload)
    if (!bsm.unsolicited) {
      this.#acks.get(bsm.nodeName)?.()
      return
    }
    const mine = bsm.networks.filter((n) => {
      const own = state.ownNetwork(n)
      return own !== undefined && !own.leaving
    })
    const reply = bulkSyncMessage(state, mine, false)
    this.#stats.bulkBytesSent += reply.length
    Promise.resolve()
      .then(() => this.#link.sendReliable(bsm.nodeName, reply))
      .catch(() => {
        // the requester will time out and retry with another peer
      })
  }
}
