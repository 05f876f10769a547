/**
 * Forwarding to upstream servers: one shared UDP socket with query ids rewritten, a TCP
 * connection per TCP query, a timeout per try, failover through the list, and a cap on
 * queries in flight.
 */
import type { Socket } from 'node:dgram'
import { isIPv6 } from 'node:net'
import { randomFillSync } from 'node:crypto'
import { RCODE_SERVFAIL } from './wire.js'
import type { Upstream } from './options.js'
import { bindUDP, connectTCP, type SocketFactory } from './sockets.js'

interface Pending {
  origId: number
  msg: Buffer
  tries: number
  deadline: number
  upstream: Upstream
  reply: (answer: Buffer | undefined) => void
}

const RCODE_REFUSED = 5
const RANDOM_BATCH = 4096

/** An answer worth trying the next server for. */
function shouldFailOver(answer: Buffer): boolean {
  const rcode = answer[3]! & 0x0f
  return rcode === RCODE_SERVFAIL || rcode === RCODE_REFUSED
}

export class Forwarder {
  upstreams: Upstream[] = []
  private socket4: Socket | undefined
  private socket6: Socket | undefined
  private pending = new Map<number, Pending>()
  private tcpInFlight = 0
  private sweeper: NodeJS.Timeout | undefined
  private readonly random = Buffer.alloc(RANDOM_BATCH)
  private randomAt = RANDOM_BATCH

  constructor(
    private readonly timeoutMs: number,
    private readonly maxConcurrent: number,
    private readonly openSocket?: SocketFactory,
  ) {}

  get inFlight(): number {
    return this.pending.size + this.tcpInFlight
  }

  async start(): Promise<void> {
    this.socket4 = await this.open('udp4', '0.0.0.0')
    // IPv6 may be off in the namespace; then only IPv4 upstreams are reachable.
    this.socket6 = await this.open('udp6', '::').catch(() => undefined)
  }

  /** The timeout sweeper runs only while queries are in flight (many idle resolvers cost nothing). */
  private armSweeper(): void {
    if (this.sweeper !== undefined) return
    const tick = Math.max(10, Math.min(250, this.timeoutMs >> 2))
    this.sweeper = setInterval(() => this.sweep(), tick)
    this.sweeper.unref()
  }

  private async open(type: 'udp4' | 'udp6', address: string): Promise<Socket> {
    const socket = await bindUDP(type, address, 0, this.openSocket)
    socket.on('message', (msg, rinfo) => this.onAnswer(msg, rinfo.address, rinfo.port))
    socket.on('error', () => undefined) // ICMP errors surface as timeouts, then failover
    return socket
  }

  stop(): void {
    if (this.sweeper !== undefined) clearInterval(this.sweeper)
    this.sweeper = undefined
    for (const p of this.pending.values()) {
      p.msg.writeUInt16BE(p.origId, 0)
      p.reply(undefined)
    }
    this.pending.clear()
    this.socket4?.close()
    this.socket6?.close()
    this.socket4 = this.socket6 = undefined
  }

  /**
   * Forward a UDP query. `reply` gets the upstream's answer (id restored) or undefined when
   * every server failed or the cap was hit. Returns false when refused by the cap.
   */
  forwardUDP(msg: Buffer, reply: (answer: Buffer | undefined) => void): boolean {
    if (
      this.upstreams.length === 0 ||
      this.inFlight >= this.maxConcurrent ||
      this.socket4 === undefined
    ) {
      return false
    }
    const upstream = this.upstreams[0]!
    const p: Pending = { origId: msg.readUInt16BE(0), msg, tries: 1, deadline: 0, upstream, reply }
    this.send(p)
    return true
  }

  private send(p: Pending): void {
    let id: number
    do id = this.randomId()
    while (this.pending.has(id))
    p.msg.writeUInt16BE(id, 0)
    p.deadline = Date.now() + this.timeoutMs
    const socket = isIPv6(p.upstream.address) ? this.socket6 : this.socket4
    this.pending.set(id, p)
    this.armSweeper()
    if (socket === undefined) return // unreachable family: the sweeper fails over
    socket.send(p.msg, p.upstream.port, p.upstream.address)
  }

  /** Random 16-bit ids from a batch of CSPRNG bytes (refilled every 2048 ids). */
  private randomId(): number {
    if (this.randomAt >= RANDOM_BATCH) {
      randomFillSync(this.random)
      this.randomAt = 0
    }
    const id = (this.random[this.randomAt]! << 8) | this.random[this.randomAt + 1]!
    this.randomAt += 2
    return id
  }

  private next(p: Pending): void {
    if (p.tries >= this.upstreams.length) {
      p.msg.writeUInt16BE(p.origId, 0)
      p.reply(undefined)
      return
    }
    p.upstream = this.upstreams[p.tries]!
    p.tries++
    this.send(p)
  }

  private onAnswer(answer: Buffer, address: string, port: number): void {
    if (answer.length < 12) return
    const id = answer.readUInt16BE(0)
    const p = this.pending.get(id)
    if (p === undefined || p.upstream.port !== port || p.upstream.address !== address) return
    this.pending.delete(id)
    if (shouldFailOver(answer) && p.tries < this.upstreams.length) {
      this.next(p)
      return
    }
    answer.writeUInt16BE(p.origId, 0)
    p.reply(answer)
  }

  private sweep(): void {
    const now = Date.now()
    const expired: Pending[] = []
    for (const [id, p] of this.pending) {
      if (p.deadline > now) continue
      this.pending.delete(id)
      expired.push(p)
    }
    for (const p of expired) this.next(p)
    if (this.pending.size === 0 && this.sweeper !== undefined) {
      clearInterval(this.sweeper)
      this.sweeper = undefined
    }
  }

  /** Forward a TCP query (no length prefix) over TCP, one connection per try. */
  async forwardTCP(msg: Buffer): Promise<Buffer | undefined> {
    if (this.upstreams.length === 0 || this.inFlight >= this.maxConcurrent) return undefined
    this.tcpInFlight++
    try {
      for (const upstream of this.upstreams.slice(0, 3)) {
        const answer = await tcpExchange(upstream, msg, this.timeoutMs, this.openSocket)
        if (
          answer !== undefined &&
          answer.length >= 12 &&
          answer.readUInt16BE(0) === msg.readUInt16BE(0)
        ) {
          if (!shouldFailOver(answer) || upstream === this.upstreams.at(-1)) return answer
        }
      }
      return undefined
    } finally {
      this.tcpInFlight--
    }
  }
}

function tcpExchange(
  upstream: Upstream,
  msg: Buffer,
  timeoutMs: number,
  openSocket: SocketFactory | undefined,
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const sock = connectTCP(upstream.address, upstream.port, openSocket)
    const chunks: Buffer[] = []
    let size = 0
    const finish = (answer: Buffer | undefined) => {
      clearTimeout(timer)
      sock.destroy()
      resolve(answer)
    }
    const timer = setTimeout(() => finish(undefined), timeoutMs)
    sock.on('error', () => finish(undefined))
    sock.on('close', () => finish(undefined))
    sock.on('connect', () => {
      const framed = Buffer.allocUnsafe(msg.length + 2)
      framed.writeUInt16BE(msg.length, 0)
      msg.copy(framed, 2)
      sock.write(framed)
    })
    sock.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      size += chunk.length
      const all = chunks.length === 1 ? chunk : Buffer.concat(chunks, size)
      if (all.length >= 2 && all.length >= 2 + all.readUInt16BE(0)) {
        finish(all.subarray(2, 2 + all.readUInt16BE(0)))
      }
    })
  })
}
