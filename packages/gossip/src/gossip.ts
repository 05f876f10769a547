/**
 * The public Gossip node: lifecycle (start, join, leave, stop), membership queries and events,
 * user messages (best effort over UDP, reliable over a stream, broadcast via the
 * transmit-limited queue), metadata updates and the keyring.
 */
import {
  BadRequestError,
  IP,
  NotFoundError,
  UnavailableError,
  ConflictError,
} from '@libnetwork/types'
import { ProbeCore } from './probe.js'
import { reasonOf } from './streams.js'
import { toMember, type NodeRecord } from './state.js'
import { resolveConfig, type GossipConfig, type Member, type MemberEvent } from './config.js'
import { NetTransport, type Address } from './transport.js'
import { encodeMessage, type AliveMsg } from './wire/messages.js'
import { compressIfSmaller, makeCompound } from './wire/packet.js'
import type { Keyring } from './wire/keyring.js'

const META_MAX = 512

/** Where to send: a member, a member name, or an address. */
export type Target = Member | string | Address

export interface BroadcastOptions {
  /** Invalidation key: queuing another broadcast with this name replaces this one. */
  name?: string
  /** Called when the broadcast has been sent often enough or was replaced. */
  onFinished?: () => void
}

/** Parses "host:port" or "[v6]:port" into an Address. */
export function parseAddress(s: string, defaultPort = 7946): Address {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(s) ?? /^([^:]+)(?::(\d+))?$/.exec(s)
  const port = m?.[2] === undefined ? defaultPort : Number(m[2])
  if (!m || !IP.isValid(m[1]!) || !(port >= 0 && port <= 65535)) {
    throw new BadRequestError('gossip-address', `invalid address "${s}" (want ip:port)`, {
      details: { address: s },
    })
  }
  return { ip: IP.parse(m[1]!), port }
}

export class Gossip extends ProbeCore {
  private stopped = false
  private started = false
  /** Wakes pending `events()` iterators when the node stops. */
  private readonly wakers = new Set<() => void>()

  constructor(config: GossipConfig) {
    super(resolveConfig(config))
  }

  /** This node's name. */
  get name(): string {
    return this.cfg.name
  }

  /** The advertised address (valid after start). */
  get address(): Address {
    if (!this.started) throw new ConflictError('gossip-not-started', 'the node is not started')
    return this.self
  }

  /** The keyring, when encryption is configured (add/use/remove keys at run time). */
  get keyring(): Keyring | undefined {
    return this.cfg.keyring
  }

  /** Local health score (0 = healthy); timeouts are scaled by score + 1. */
  get healthScore(): number {
    return this.awareness
  }

  /** Binds the transport, announces this node to itself and starts probing and gossip. */
  async start(): Promise<void> {
    if (this.stopped)
      throw new ConflictError('gossip-stopped', 'a stopped node cannot restart; create a new one')
    if (this.started) throw new ConflictError('gossip-started', 'the node is already started')
    const meta = this.readMeta()
    this.transport =
      this.cfg.transport ??
      new NetTransport({
        ...(this.cfg.bindAddr ? { bindAddr: this.cfg.bindAddr } : {}),
        bindPort: this.cfg.bindPort,
      })
    const bound = await this.transport.start({
      packet: (buf, from) => this.handlePacket(buf, from),
      stream: (conn, from) => this.handleStream(conn, from),
    })
    let ip = this.cfg.advertiseAddr ?? bound.ip
    if (ip.isUnspecified()) ip = IP.parse(ip.version === 4 ? '127.0.0.1' : '::1')
    this.self = { ip, port: this.cfg.advertisePort ?? bound.port }
    this.running = true
    this.started = true
    this.incarnation = 1
    this.aliveNode({ ...this.localAlive(), meta }, true)
    this.startLoops()
  }

  private readMeta(): Uint8Array {
    const meta = this.cfg.delegate?.nodeMeta?.(META_MAX) ?? new Uint8Array(0)
    if (meta.length > META_MAX) {
      throw new BadRequestError('gossip-meta-size', `node metadata exceeds ${META_MAX} bytes`, {
        details: { length: meta.length },
      })
    }
    return meta
  }

  protected localAlive(): AliveMsg {
    const [dmin, dmax, dcur] = this.cfg.delegateProtocol
    return {
      type: 'alive',
      incarnation: this.incarnation,
      node: this.cfg.name,
      addr: this.self.ip.toBytes(),
      port: this.self.port,
      meta: this.nodeMap.get(this.cfg.name)?.meta ?? new Uint8Array(0),
      vsn: Uint8Array.of(1, 5, 2, dmin, dmax, dcur),
    }
  }

  private requireRunning(): void {
    if (!this.running) throw new ConflictError('gossip-not-running', 'the node is not running')
  }

  /**
   * Joins a cluster through seed nodes (push/pull with each). Resolves to the number of seeds
   * reached; throws UnavailableError when none answered.
   */
  async join(
    seeds: readonly (Address | string)[],
    opts: { signal?: AbortSignal } = {},
  ): Promise<number> {
    this.requireRunning()
    const addrs = seeds.map((s) => (typeof s === 'string' ? parseAddress(s) : s))
    const errors: string[] = []
    let keyErrors = 0
    let ok = 0
    for (const a of addrs) {
      opts.signal?.throwIfAborted()
      try {
        await this.pushPull(a, true, opts.signal)
        ok++
      } catch (err) {
        if (reasonOf(err) === 'decrypt') keyErrors++
        errors.push(`${a.ip.toString()}:${a.port}: ${(err as Error).message}`)
      }
    }
    if (ok === 0 && addrs.length > 0 && keyErrors === addrs.length) {
      throw new UnavailableError(
        'gossip-join-key-mismatch',
        `could not join: encryption key mismatch with ${addrs.length === 1 ? 'the seed' : `all ${addrs.length} seeds`} (${errors[0]!})`,
        { details: { errors } },
      )
    }
    if (ok === 0 && addrs.length > 0) {
      throw new UnavailableError('gossip-join', `could not reach any of ${addrs.length} seeds`, {
        details: { errors },
      })
    }
    return ok
  }

  /** Announces a graceful leave and waits (up to `timeoutMs`) for it to be gossiped. */
  async leave(opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<void> {
    this.requireRunning()
    if (this.leaving) return
    this.leaving = true
    const me = this.nodeMap.get(this.cfg.name)!
    const others = this.nodes.some((n) => n.name !== this.cfg.name && n.state === 'alive')
    const done = new Promise<void>((resolve) => {
      this.leaveFinished = resolve
    })
    this.deadNode({ type: 'dead', node: this.cfg.name, incarnation: me.incarnation, from: '' })
    if (!others) return
    let timer: NodeJS.Timeout | undefined
    await Promise.race([
      done,
      new Promise<void>((r) => (timer = setTimeout(r, opts.timeoutMs ?? 5000))),
      new Promise<void>((r) => opts.signal?.addEventListener('abort', () => r(), { once: true })),
    ])
    clearTimeout(timer)
  }

  /** Stops all timers and closes the transport (without announcing a leave). */
  async stop(): Promise<void> {
    if (!this.started || this.stopped) return
    this.stopped = true
    this.running = false
    this.stopTimers()
    this.clearSuspicions()
    for (const h of this.ackHandlers.values()) clearTimeout(h.timer)
    this.ackHandlers.clear()
    this.queue.reset()
    this.userQueue.reset()
    await this.transport.stop()
    for (const w of this.wakers) w()
  }

  /** Live members (alive and suspect), this node included. */
  members(): Member[] {
    return this.nodes.filter((n) => n.state === 'alive' || n.state === 'suspect').map(toMember)
  }

  /** Every known node, dead and left ones included. */
  allMembers(): Member[] {
    return this.nodes.map(toMember)
  }

  member(name: string): Member | undefined {
    const n = this.nodeMap.get(name)
    return n ? toMember(n) : undefined
  }

  localMember(): Member {
    this.requireRunning()
    return toMember(this.nodeMap.get(this.cfg.name)!)
  }

  /** Number of live members. */
  numMembers(): number {
    return this.estimateNumNodes()
  }

  /**
   * Subscribes to one event type; returns an unsubscribe function. `leave` fires for failed
   * (state `dead`) and departed (state `left`) members alike, as memberlist's NotifyLeave;
   * `failed` fires only for failures.
   */
  on(type: MemberEvent['type'] | 'failed', listener: (member: Member) => void): () => void {
    return this.onEvent((e) => {
      if (
        e.type === type ||
        (type === 'failed' && e.type === 'leave' && e.member.state === 'dead')
      ) {
        listener(e.member)
      }
    })
  }

  /** Membership events as an async iterable, until `signal` aborts or the node stops. */
  async *events(opts: { signal?: AbortSignal } = {}): AsyncGenerator<MemberEvent> {
    const buf: MemberEvent[] = []
    let wake: (() => void) | undefined
    const off = this.onEvent((e) => {
      buf.push(e)
      wake?.()
    })
    const onAbort = (): void => wake?.()
    opts.signal?.addEventListener('abort', onAbort)
    this.wakers.add(onAbort)
    try {
      while (!opts.signal?.aborted && !this.stopped) {
        const e = buf.shift()
        if (e) {
          yield e
          continue
        }
        await new Promise<void>((r) => (wake = r))
        wake = undefined
      }
    } finally {
      off()
      this.wakers.delete(onAbort)
      opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  private resolveTarget(to: Target): { addr: Address; node?: NodeRecord } {
    if (typeof to === 'string' || 'name' in to) {
      const name = typeof to === 'string' ? to : to.name
      const n = this.nodeMap.get(name)
      if (!n)
        throw new NotFoundError('gossip-unknown-node', `unknown node "${name}"`, {
          details: { name },
        })
      return { addr: this.addrOf(n), node: n }
    }
    return { addr: to }
  }

  /** Sends a user message in one UDP datagram (no delivery guarantee). */
  sendBestEffort(to: Target, payload: Uint8Array): void {
    this.requireRunning()
    if (payload.length > 65000) {
      throw new BadRequestError(
        'gossip-message-size',
        'a datagram user message is at most 65000 bytes; use sendReliable',
        {
          details: { length: payload.length },
        },
      )
    }
    const { addr, node } = this.resolveTarget(to)
    this.sendRaw(addr, encodeMessage({ type: 'user', payload }), this.wantsCrc(node))
  }

  /**
   * Sends one user message in a datagram to each of several members, compressing it once
   * (compression is most of a datagram's sending cost; CRC and encryption stay per peer).
   * Every target is resolved first: an unknown one throws `NotFoundError` and nothing is sent.
   */
  sendBestEffortMany(to: readonly Target[], payload: Uint8Array): void {
    this.requireRunning()
    if (payload.length > 65000) {
      throw new BadRequestError(
        'gossip-message-size',
        'a datagram user message is at most 65000 bytes; use sendReliable',
        { details: { length: payload.length } },
      )
    }
    const targets = to.map((t) => this.resolveTarget(t))
    const msg = encodeMessage({ type: 'user', payload })
    const body = this.cfg.enableCompression ? compressIfSmaller(msg) : msg
    for (const { addr, node } of targets) this.sendRaw(addr, body, this.wantsCrc(node), true)
  }

  /**
   * Sends several user messages in one datagram now (a memberlist compound of user messages),
   * without waiting for the gossip interval. At most 255 payloads and 65000 bytes in total.
   */
  sendCompound(to: Target, payloads: readonly Uint8Array[]): void {
    this.requireRunning()
    const size = payloads.reduce((a, p) => a + p.length + 3, 2)
    if (payloads.length === 0 || payloads.length > 255 || size > 65000) {
      throw new BadRequestError(
        'gossip-message-size',
        'a compound carries 1..255 user messages and at most 65000 bytes',
        { details: { count: payloads.length, size } },
      )
    }
    const { addr, node } = this.resolveTarget(to)
    const parts = payloads.map((payload) => encodeMessage({ type: 'user', payload }))
    this.sendRaw(addr, parts.length === 1 ? parts[0]! : makeCompound(parts), this.wantsCrc(node))
  }

  /** Sends a user message over a stream (large payloads). */
  async sendReliable(to: Target, payload: Uint8Array): Promise<void> {
    this.requireRunning()
    if (payload.length > this.cfg.maxStreamSize) {
      throw new BadRequestError(
        'gossip-message-size',
        `a stream user message is at most ${this.cfg.maxStreamSize} bytes`,
        {
          details: { length: payload.length },
        },
      )
    }
    await this.sendUserStream(this.resolveTarget(to).addr, payload)
  }

  /** Queues a user broadcast, piggy-backed on gossip until sent mult × log(N+1) times. */
  broadcast(payload: Uint8Array, opts: BroadcastOptions = {}): void {
    this.requireRunning()
    if (payload.length + 1 > this.cfg.udpBufferSize - 40) {
      throw new BadRequestError(
        'gossip-message-size',
        'a broadcast must fit in one gossip datagram',
        {
          details: { length: payload.length, limit: this.cfg.udpBufferSize - 41 },
        },
      )
    }
    this.userQueue.queueBroadcast({
      message: encodeMessage({ type: 'user', payload }),
      ...(opts.name !== undefined ? { name: opts.name } : {}),
      ...(opts.onFinished ? { finished: opts.onFinished } : {}),
    })
  }

  /** Re-reads the delegate's metadata and announces it with a new incarnation. */
  updateMeta(): void {
    this.requireRunning()
    const meta = this.readMeta()
    this.incarnation++
    this.aliveNode({ ...this.localAlive(), meta }, true)
  }

  /** Runs a push/pull with one peer now (anti-entropy on demand). */
  async pushPullWith(to: Target, opts: { signal?: AbortSignal } = {}): Promise<void> {
    this.requireRunning()
    await this.pushPull(this.resolveTarget(to).addr, false, opts.signal)
  }
}
