/** Joining the configured peers, and retrying those that are not up yet, with backoff. */
import type { Address } from '@libnetwork/gossip'
import type { Logger } from '@libnetwork/types'

/** A configured peer as the agent sees it. */
export interface PeerStatus {
  /** As configured (`ip` or `ip:port`). */
  peer: string
  /**
   * `joined`: reached, and a live member at that address (when none is any more, as when the
   * host there failed, it is joined again: a restarted daemon there is a new node that would not
   * come back by itself); `retrying`: not reached yet; `self`: this node's own address.
   */
  state: 'joined' | 'retrying' | 'self'
  /** Join attempts so far. */
  attempts: number
  /** Why the last attempt failed. */
  lastError?: string
}

interface Peer {
  text: string
  address: Address
  status: PeerStatus
  timer?: NodeJS.Timeout
  delayMs: number
}

/** How often a joined peer is checked for a live member at its address (at most). */
const CHECK_MS = 5_000

export interface PeerJoinerOptions {
  peers: { text: string; address: Address }[]
  self: Address
  initialMs: number
  maxMs: number
  /** Join through one seed (`ip:port`); rejects when it cannot be reached. */
  join(seed: string): Promise<unknown>
  /** Addresses (`ip:port`) of the members this node knows alive now. */
  members(): string[]
  logger: Logger
}

/** The error's message, with the per-seed reasons gossip gives (`details.errors`). */
function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err)
  const details = (err as { details?: { errors?: unknown } }).details?.errors
  const reasons = (Array.isArray(details) ? details.map(String) : []).filter(
    (r) => !err.message.includes(r),
  )
  return reasons.length > 0 ? `${err.message}: ${reasons.join('; ')}` : err.message
}

const key = (a: Address): string =>
  a.ip.version === 6 ? `[${a.ip.toString()}]:${a.port}` : `${a.ip.toString()}:${a.port}`

/**
 * Tries every peer once at `start()`; a peer that fails is tried again after `initialMs`,
 * doubling up to `maxMs`, until it is reached or appears among the members some other way.
 * A joined peer with no live member at its address any more is tried again the same way.
 */
export class PeerJoiner {
  readonly #o: PeerJoinerOptions
  readonly #peers: Peer[]
  #stopped = false

  constructor(o: PeerJoinerOptions) {
    this.#o = o
    const self = key(o.self)
    this.#peers = o.peers.map((p) => ({
      text: p.text,
      address: p.address,
      delayMs: o.initialMs,
      status: {
        peer: p.text,
        state: key(p.address) === self ? 'self' : 'retrying',
        attempts: 0,
      },
    }))
  }

  /** First attempt at every peer, in parallel; resolves when each has succeeded or failed once. */
  async start(): Promise<void> {
    await Promise.all(this.#peers.filter((p) => p.status.state !== 'self').map((p) => this.#try(p)))
  }

  status(): PeerStatus[] {
    return this.#peers.map((p) => ({ ...p.status }))
  }

  stop(): void {
    this.#stopped = true
    for (const p of this.#peers) clearTimeout(p.timer)
  }

  /** Watch a joined peer: when no live member is at its address, join it again. */
  #watch(p: Peer): void {
    if (this.#stopped) return
    p.timer = setTimeout(
      () => {
        if (this.#stopped) return
        if (this.#o.members().includes(key(p.address))) return this.#watch(p)
        this.#o.logger.info('cluster: no live member at a peer any more, joining it again', {
          peer: p.text,
        })
        p.status.state = 'retrying'
        p.delayMs = this.#o.initialMs
        void this.#try(p)
      },
      Math.min(CHECK_MS, this.#o.maxMs),
    )
    p.timer.unref()
  }

  async #try(p: Peer): Promise<void> {
    if (this.#stopped) return
    if (this.#o.members().includes(key(p.address))) {
      p.status.state = 'joined'
      this.#watch(p)
      return
    }
    p.status.attempts++
    try {
      await this.#o.join(key(p.address))
      p.status.state = 'joined'
      delete p.status.lastError
      this.#o.logger.info('cluster: joined peer', { peer: p.text })
      this.#watch(p)
    } catch (err) {
      p.status.lastError = describe(err)
      if (this.#stopped) return
      this.#o.logger.warn('cluster: peer not reachable yet, will retry', {
        peer: p.text,
        inMs: p.delayMs,
        error: p.status.lastError,
      })
      p.timer = setTimeout(() => void this.#try(p), p.delayMs)
      p.timer.unref()
      p.delayMs = Math.min(p.delayMs * 2, this.#o.maxMs)
    }
  }
}
