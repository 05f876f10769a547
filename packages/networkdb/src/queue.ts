/**
 * A transmit-limited broadcast queue (memberlist's idea): each message goes out until it has
 * been sent `mult × ceil(log10(N + 1))` times; a newer message with the same name replaces it.
 */
interface Item {
  name: string
  msg: Uint8Array
  transmits: number
  id: number
}

export class BroadcastQueue {
  #items = new Map<string, Item>()
  #id = 0
  readonly #numNodes: () => number
  readonly #mult: number
  readonly #maxDepth: number

  constructor(numNodes: () => number, mult = 4, maxDepth = 4096) {
    this.#numNodes = numNodes
    this.#mult = mult
    this.#maxDepth = maxDepth
  }

  get length(): number {
    return this.#items.size
  }

  limit(): number {
    return this.#mult * Math.max(1, Math.ceil(Math.log10(Math.max(0, this.#numNodes()) + 1)))
  }

  queue(name: string, msg: Uint8Array): void {
    this.#items.delete(name)
    this.#items.set(name, { name, msg, transmits: 0, id: this.#id++ })
    if (this.#items.size > this.#maxDepth) {
      // Oldest first in insertion order: drop it.
      const first = this.#items.keys().next()
      if (!first.done) this.#items.delete(first.value)
    }
  }

  /** Messages fitting in `limit` bytes (each costs its length + `overhead`), least sent first. */
  take(overhead: number, limit: number): Uint8Array[] {
    if (this.#items.size === 0) return []
    const max = this.limit()
    const items = [...this.#items.values()].sort((a, b) => a.transmits - b.transmits || a.id - b.id)
    const out: Uint8Array[] = []
    let used = 0
    for (const it of items) {
      const cost = it.msg.length + overhead
      if (used + cost > limit) continue
      used += cost
      out.push(it.msg)
      if (++it.transmits >= max) this.#items.delete(it.name)
    }
    return out
  }

  /** True while a message with this name is still queued. */
  has(name: string): boolean {
    return this.#items.has(name)
  }

  clear(): void {
    this.#items.clear()
  }
}
