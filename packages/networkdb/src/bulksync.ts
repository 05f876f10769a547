/**
 * Bulk sync, as upstream: the initiator sends every entry of some networks as an unsolicited
 * BulkSyncMessage over a stream; the peer applies them and answers with its own entries on a
 * new stream (unsolicited false), which is the initiator's ack.
 *
 * What differs from upstream, same bytes on the wire:
 * - Encoding and applying run in time slices that yield (see `slice.ts`), so a sync of tens of
 *   thousands of entries never holds the event loop for long.
 * - Tombstones ride only where needed: a sync to a peer carries the tombstones that changed
 *   since the last sync this node made with that peer and saw answered (that one carried
 *   every tombstone of its time, so the peer has them or something newer). The first sync
 *   with a peer carries them all.
 * - A lost answer is retried promptly (`retryMs`, doubling) instead of waiting out the
 *   timeout; a responder that does not know the initiator yet (gossip has not told it) keeps
 *   trying to answer for a while instead of dropping the answer.
 * - A resend of a sync this node is answering, or answered less than two retry periods ago,
 *   is not answered again: the answer is on its way (a stream), and a second full answer
 *   only loads both nodes further (which, under load, caused more resends).
 */
import { NotFoundError } from '@libnetwork/types'
import {
  MessageType,
  encodeBulkSync,
  encodeTableEventEnveloped,
  type BulkSyncMessage,
} from './proto.js'
import { ProtoWriter, fieldSize } from '@libnetwork/protowire'
import type { State } from './state.js'
import { TimeSlicer } from './slice.js'

/** The part of the membership layer bulk sync uses. */
export interface StreamLink {
  sendReliable(node: string, payload: Uint8Array): Promise<void>
  alive(): string[]
}

export interface BulkSyncOptions {
  /** Give up waiting for an answer after this long, ms (upstream 30,000). */
  timeoutMs: number
  /** Resend an unanswered sync after this long, ms, doubling each time. */
  retryMs: number
}

export interface BulkStats {
  bulkBytesSent: number
  /** Bulk syncs this node started (first sends, not retries). */
  bulkSyncs: number
  /** Unanswered syncs sent again. */
  bulkRetries: number
  /** Tombstones left out of syncs because the peer already had them. */
  tombstonesSkipped: number
  /** Resends of a sync being answered or just answered, not answered again. */
  bulkResendsIgnored: number
}

/** Build an enveloped BulkSyncMessage in time slices. `after(network)`: tombstone cut-off. */
export async function buildBulkSync(
  state: State,
  networks: readonly string[],
  unsolicited: boolean,
  after: (network: string) => number,
  stats?: BulkStats,
): Promise<{ msg: Uint8Array; seq: number }> {
  const seq = state.changeSeq
  const parts: Uint8Array[] = []
  const slicer = new TimeSlicer()
  let i = 0
  let body = 0
  for (const network of networks) {
    const cut = after(network)
    for (const [table, keys] of state.entries.get(network) ?? []) {
      for (const key of keys.keys()) {
        await slicer.maybePause(++i)
        // the map may have changed while we yielded: read the current entry
        const e = keys.get(key)
        if (!e) continue
        if (e.deleting && (e.seq ?? 0) <= cut) {
          if (stats) stats.tombstonesSkipped++
          continue
        }
        const part = encodeTableEventEnveloped(state.toTableEvent(network, table, key, e))
        parts.push(part)
        body += fieldSize(fieldSize(part.length))
      }
    }
  }
  const head = {
    ltime: state.tableClock.time,
    unsolicited,
    nodeName: state.self,
    networks: [...networks],
  }
  // COMPOUND envelope = [type][body length] + body; BulkSync = fields + payload; outer envelope
  const compoundLen = 2 + (body === 0 ? 0 : fieldSize(body))
  const bulkHead = encodeBulkSync({ ...head, payload: new Uint8Array(0) })
  const bulkLen = bulkHead.length + fieldSize(compoundLen)
  const w = new ProtoWriter(2 + fieldSize(bulkLen))
  w.tag(1, 0).varint(MessageType.BulkSync)
  w.tag(2, 2).varint(bulkLen)
  w.raw(bulkHead)
  w.tag(5, 2).varint(compoundLen)
  w.tag(1, 0).varint(MessageType.Compound)
  if (body !== 0) w.tag(2, 2).varint(body)
  // copy the parts in slices too: one pass over megabytes is itself tens of ms under load
  for (let k = 0; k < parts.length; k++) {
    await slicer.maybePause(++i)
    const part = parts[k]!
    w.tag(1, 2).varint(fieldSize(part.length))
    w.tag(1, 2).bytes(part)
  }
  return { msg: w.finish(), seq }
}

/**
 * What tells a resend from a new sync: a resend is the same message again. The sender's clock,
 * networks, payload length and a sample of the payload's bytes (a new sync with all of these
 * equal carries the same entries, and is answered after the window anyway).
 */
function requestKey(bsm: BulkSyncMessage): string {
  const p = bsm.payload
  let h = 0x811c9dc5
  const step = Math.max(1, Math.floor(p.length / 4096))
  for (let i = 0; i < p.length; i += step) h = Math.imul(h ^ p[i]!, 0x01000193)
  return `${bsm.ltime}/${bsm.networks.join(',')}/${p.length}/${h >>> 0}`
}

const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms).unref())

export class BulkSyncer {
  readonly #state: State
  readonly #link: StreamLink
  readonly #opts: BulkSyncOptions
  readonly #stats: BulkStats
  readonly #apply: (payload: Uint8Array) => Promise<void>
  /** Initiators waiting for an answer: told when it arrives and when it has been applied. */
  readonly #acks = new Map<string, { arrived(): void; applied(): void }>()
  readonly #syncing = new Map<string, Promise<boolean>>()
  /** When a member last bulk-synced a network with us (`node/network` → ms). */
  readonly #heard = new Map<string, number>()
  /** `node/network` → change number up to which that node has our tombstones. */
  readonly #synced = new Map<string, number>()
  /** Nodes whose sync we are applying or answering (a resend meanwhile is a duplicate). */
  readonly #answering = new Set<string>()
  /** Per node: the request last answered and when the answer was sent (ms). */
  readonly #answered = new Map<string, { key: string; at: number }>()
  #stopped = false

  constructor(
    state: State,
    link: StreamLink,
    opts: BulkSyncOptions,
    stats: BulkStats,
    apply: (payload: Uint8Array) => Promise<void>,
  ) {
    this.#state = state
    this.#link = link
    this.#opts = opts
    this.#stats = stats
    this.#apply = apply
  }

  /** True when `node` bulk-synced `network` with us in the last `withinMs`. */
  heardFrom(node: string, network: string, withinMs: number): boolean {
    const at = this.#heard.get(`${node}/${network}`)
    return at !== undefined && Date.now() - at < withinMs
  }

  /** A node left or failed: it may come back with nothing, so send it every tombstone. */
  forget(node: string): void {
    this.#answered.delete(node)
    for (const k of [...this.#synced.keys()]) if (k.startsWith(`${node}/`)) this.#synced.delete(k)
  }

  /** Exchange a network's entries with some members; resolves when all answered or timed out. */
  async sync(network: string, nodes: string[]): Promise<void> {
    await Promise.all(nodes.map((node) => this.#syncWith(node, [network])))
  }

  /** One sync per member; each promise tells whether that member answered. */
  syncEach(network: string, nodes: string[]): Promise<boolean>[] {
    return nodes.map((node) => this.#syncWith(node, [network]))
  }

  /** Release every waiter (on stop). */
  stop(): void {
    this.#stopped = true
    for (const a of this.#acks.values()) a.applied()
    this.#acks.clear()
  }

  /** One bulk sync at a time per peer (its answer is matched by node name, as upstream). */
  #syncWith(node: string, networks: string[]): Promise<boolean> {
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

  #cut(node: string): (network: string) => number {
    return (network) => this.#synced.get(`${node}/${network}`) ?? 0
  }

  /** One sync with one node; true when it was answered. */
  async #syncOnce(node: string, networks: string[]): Promise<boolean> {
    if (this.#stopped) return false
    let answered = false
    let onArrival!: () => void
    let onApplied!: () => void
    const arrival = new Promise<void>((resolve) => (onArrival = resolve))
    const done = new Promise<void>((resolve) => (onApplied = resolve))
    this.#acks.set(node, {
      arrived: () => {
        answered = true
        onArrival()
      },
      applied: () => {
        answered = true
        onArrival()
        onApplied()
      },
    })
    const deadline = Date.now() + this.#opts.timeoutMs
    try {
      const { msg, seq } = await buildBulkSync(
        this.#state,
        networks,
        true,
        this.#cut(node),
        this.#stats,
      )
      this.#stats.bulkSyncs++
      // a large sync takes the peer a while to apply and answer: allow for its size
      let wait = this.#opts.retryMs * (1 + msg.length / (256 * 1024))
      for (let attempt = 0; !answered && !this.#stopped && Date.now() < deadline; attempt++) {
        if (attempt > 0) this.#stats.bulkRetries++
        this.#stats.bulkBytesSent += msg.length
        try {
          await this.#link.sendReliable(node, msg)
        } catch (err) {
          // A member gone from gossip will not answer: give up. Otherwise retry.
          if (NotFoundError.isInstance(err)) return false
        }
        const left = deadline - Date.now()
        if (left <= 0) break
        let timer: NodeJS.Timeout | undefined
        await Promise.race([
          arrival,
          new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(wait, left)))),
        ])
        clearTimeout(timer)
        wait *= 2
      }
      if (answered) {
        // the answer is here (no more resends); resolve once it has been applied
        await done
        for (const n of networks) this.#synced.set(`${node}/${n}`, seq)
        return true
      }
      return false
    } catch {
      // unreachable peer: the periodic sync will try another
      return false
    } finally {
      this.#acks.delete(node)
    }
  }

  /** A bulk sync arrived: apply it; answer an initiator, or take an answer as the ack. */
  async handle(bsm: BulkSyncMessage): Promise<void> {
    const state = this.#state
    const from = bsm.nodeName
    // Only a request (unsolicited) is answered, and so only a request can be a resend.
    const key = bsm.unsolicited ? requestKey(bsm) : ''
    if (bsm.unsolicited) {
      // a resend of a sync in progress, or of one just answered: the answer is on its way
      const last = this.#answered.get(from)
      const recent = last?.key === key && Date.now() - last.at < 2 * this.#opts.retryMs
      if (this.#answering.has(from) || recent) {
        this.#stats.bulkResendsIgnored++
        return
      }
    }
    if (bsm.ltime > 0) state.tableClock.witness(bsm.ltime)
    const now = Date.now()
    for (const n of bsm.networks) {
      this.#heard.set(`${from}/${n}`, now)
      // A sync for a network proves the sender is in it: push to it from now on, even before
      // its network event arrives by gossip.
      if (bsm.unsolicited && state.nodes.get(from)?.status === 'active') {
        const att = state.networks.get(from)?.get(n)
        if (!att?.leaving) state.addNetworkNode(n, from)
      }
    }
    if (!bsm.unsolicited) {
      const waiter = this.#acks.get(from)
      waiter?.arrived()
      try {
        await this.#apply(bsm.payload)
      } finally {
        waiter?.applied()
      }
      return
    }
    this.#answering.add(from)
    try {
      // Answer first, then apply: the answer carries our state, which the initiator lacks;
      // what it sent us it has already. A joining node gets its table sooner this way.
      const mine = bsm.networks.filter((n) => {
        const own = state.ownNetwork(n)
        return own !== undefined && !own.leaving
      })
      const { msg } = await buildBulkSync(state, mine, false, this.#cut(from), this.#stats)
      const answered = this.#answer(from, msg).then((sent) => {
        if (sent) this.#answered.set(from, { key, at: Date.now() })
      })
      await this.#apply(bsm.payload)
      await answered
    } finally {
      this.#answering.delete(from)
    }
  }

  /**
   * Send an answer; true once it is handed to the stream. The initiator may be so new that
   * gossip has not told us about it yet (it joined through another node): wait for it a while
   * instead of dropping the answer.
   */
  async #answer(node: string, msg: Uint8Array): Promise<boolean> {
    const deadline = Date.now() + Math.min(this.#opts.timeoutMs, 10_000)
    for (let wait = 25; !this.#stopped; wait = Math.min(wait * 2, 500)) {
      try {
        this.#stats.bulkBytesSent += msg.length
        await this.#link.sendReliable(node, msg)
        return true
      } catch (err) {
        this.#stats.bulkBytesSent -= msg.length
        if (!NotFoundError.isInstance(err) || Date.now() + wait > deadline) return false
      }
      await sleep(wait)
    }
    return false
  }
}
