/**
 * memberlist's transmit-limited broadcast queue: each queued message is piggy-backed on
 * outgoing packets until it has been sent `retransmitMult × ceil(log10(N + 1))` times. A new
 * message with the same `name` invalidates (replaces) the queued one.
 */

export interface Broadcast {
  /** The encoded message. */
  readonly message: Uint8Array
  /** Invalidation key: a newer broadcast with the same name replaces this one. */
  readonly name?: string
  /** Called once when the broadcast leaves the queue (sent enough times or replaced). */
  finished?(): void
}

interface Entry {
  b: Broadcast
  transmits: number
  id: number
}

export interface TransmitLimitedQueueOptions {
  /** Number of nodes in the cluster, read at each call. */
  numNodes: () => number
  /** Multiplier of the retransmit limit (memberlist default 4). */
  retransmitMult?: number
  /** Queue depth beyond which the oldest broadcasts are dropped (default 1024). */
  maxDepth?: number
}

export class TransmitLimitedQueue {
  private entries: Entry[] = []
  private nextId = 0
  private readonly numNodes: () => number
  private readonly mult: number
  private readonly maxDepth: number

  constructor(opts: TransmitLimitedQueueOptions) {
    this.numNodes = opts.numNodes
    this.mult = opts.retransmitMult ?? 4
    this.maxDepth = opts.maxDepth ?? 1024
  }

  /** How many times a broadcast is sent at the current cluster size. */
  retransmitLimit(): number {
    const n = Math.max(0, this.numNodes())
    return this.mult * Math.max(1, Math.ceil(Math.log10(n + 1)))
  }

  queueBroadcast(b: Broadcast): void {
    if (b.name !== undefined) {
      this.entries = this.entries.filter((e) => {
        if (e.b.name !== b.name) return true
        e.b.finished?.()
        return false
      })
    }
    this.entries.push({ b, transmits: 0, id: this.nextId++ })
    if (this.entries.length > this.maxDepth) this.prune(this.maxDepth)
  }

  /**
   * Takes broadcasts that fit in `limit` bytes, each costing its length plus `overhead`; fewest
   * transmissions first, newest first among equals.
   */
  getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    if (this.entries.length === 0) return []
    const max = this.retransmitLimit()
    this.entries.sort((a, b) => a.transmits - b.transmits || b.id - a.id)
    const out: Uint8Array[] = []
    let used = 0
    const keep: Entry[] = []
    for (const e of this.entries) {
      const cost = e.b.message.length + overhead
      if (used + cost > limit) {
        keep.push(e)
        continue
      }
      used += cost
      out.push(e.b.message)
      e.transmits++
      if (e.transmits >= max) e.b.finished?.()
      else keep.push(e)
    }
    this.entries = keep
    return out
  }

  /** Queued broadcasts. */
  get length(): number {
    return this.entries.length
  }

  /** Drops every broadcast (calling `finished`). */
  reset(): void {
    for (const e of this.entries) e.b.finished?.()
    this.entries = []
  }

  /** Keeps only the `max` newest broadcasts. */
  prune(max: number): void {
    if (this.entries.length <= max) return
    this.entries.sort((a, b) => a.id - b.id)
    const drop = this.entries.splice(0, this.entries.length - max)
    for (const e of drop) e.b.finished?.()
  }
}
