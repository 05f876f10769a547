/**
 * A fault-injecting transport for tests: wraps a real transport and drops a share of outgoing
 * datagrams, delays them, or cuts links one way (datagrams and new streams). Randomness is
 * seeded, so runs repeat.
 */
import type { Duplex } from 'node:stream'
import { BadRequestError, UnavailableError } from '@libnetwork/types'
import { addrKey, type Address, type Transport, type TransportHandlers } from './transport.js'

export interface FaultOptions {
  /** Share of outgoing datagrams dropped, 0..1. */
  dropRate?: number
  /** Added delay for outgoing datagrams, ms. */
  delayMs?: number
  /** PRNG seed. */
  seed?: number
}

export class FaultyTransport implements Transport {
  private dropRate = 0
  private delayMs = 0
  private state: number
  private readonly blocked = new Set<string>()
  private readonly timers = new Set<NodeJS.Timeout>()
  /** Counters of what the faults did. */
  readonly stats = { sent: 0, dropped: 0, blocked: 0 }

  constructor(
    private readonly inner: Transport,
    opts: FaultOptions = {},
  ) {
    this.state = (opts.seed ?? 1) >>> 0
    this.setFaults(opts)
  }

  /** Changes drop rate and delay at run time. */
  setFaults(opts: FaultOptions): void {
    const drop = opts.dropRate ?? this.dropRate
    const delay = opts.delayMs ?? this.delayMs
    if (!(drop >= 0 && drop <= 1)) {
      throw new BadRequestError('gossip-fault-drop', 'dropRate must be within 0..1', {
        details: { dropRate: drop },
      })
    }
    if (!(delay >= 0)) {
      throw new BadRequestError('gossip-fault-delay', 'delayMs must be ≥ 0', {
        details: { delayMs: delay },
      })
    }
    this.dropRate = drop
    this.delayMs = delay
  }

  /** Cuts the link from this node to `to` (one way): datagrams dropped, dials refused. */
  block(to: Address): void {
    this.blocked.add(addrKey(to))
  }

  unblock(to?: Address): void {
    if (to) this.blocked.delete(addrKey(to))
    else this.blocked.clear()
  }

  private random(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  start(handlers: TransportHandlers): Promise<Address> {
    return this.inner.start(handlers)
  }

  sendPacket(buf: Uint8Array, to: Address): void {
    this.stats.sent++
    if (this.blocked.has(addrKey(to))) {
      this.stats.blocked++
      return
    }
    if (this.dropRate > 0 && this.random() < this.dropRate) {
      this.stats.dropped++
      return
    }
    if (this.delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer)
        this.inner.sendPacket(buf, to)
      }, this.delayMs)
      this.timers.add(timer)
      return
    }
    this.inner.sendPacket(buf, to)
  }

  async dialStream(
    to: Address,
    opts?: { timeoutMs?: number; signal?: AbortSignal },
  ): Promise<Duplex> {
    if (this.blocked.has(addrKey(to))) {
      this.stats.blocked++
      throw new UnavailableError('gossip-dial', `link to ${addrKey(to)} is cut`)
    }
    return this.inner.dialStream(to, opts)
  }

  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t)
    this.timers.clear()
    await this.inner.stop()
  }
}
