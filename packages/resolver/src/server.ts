/**
 * The embedded DNS server: UDP and TCP listeners on one address and port, local answers from a
 * RecordSource (encoded once, cached until the source's version changes), everything else
 * forwarded upstream.
 */
import type { RemoteInfo, Socket } from 'node:dgram'
import { isIP, type Server, type Socket as TCPSocket } from 'node:net'
import { BadRequestError, ConflictError, UnavailableError, type IP } from '@libnetwork/types'
import { localAnswer } from './answer.js'
import { Forwarder } from './forwarder.js'
import { checkInt, toUpstreams, type UpstreamServer } from './options.js'
import { bindUDP, listenTCP, type SocketFactory } from './sockets.js'
import type { RecordSource } from './records.js'
import {
  Parse,
  Query,
  RCODE_FORMERR,
  RCODE_NOTIMP,
  RCODE_SERVFAIL,
  buildTemplate,
  errorAnswer,
  fromTemplate,
  parseQuery,
  questionName,
  sameQuestion,
  type EncodedAnswer,
} from './wire.js'

export interface ResolverOptions {
  source: RecordSource
  /** Default 127.0.0.11, the embedded DNS address inside a sandbox. */
  address?: string
  /** Default 53; 0 picks a free port (the same for UDP and TCP). */
  port?: number
  /** Up to 3 servers for names the source does not own, tried in order. */
  upstreams?: (UpstreamServer | IP | string)[]
  /** Per-try timeout of a forwarded query. Default 4000 ms. */
  timeoutMs?: number
  /** Forwarded queries in flight at most; more get SERVFAIL. Default 1024. */
  maxConcurrent?: number
  /** TTL of local answers. Default 600 s. */
  ttl?: number
  /** Idle TCP connections are closed after this long. Default 10000 ms. */
  tcpIdleMs?: number
  /**
   * Opens every socket the resolver uses (listeners, forwarding sockets, TCP connections to
   * upstreams) and returns its fd, e.g. inside a sandbox's network namespace. Default: Node
   * opens them in the calling thread's namespace.
   */
  openSocket?: SocketFactory
}

export interface ResolverStats {
  queries: number
  local: number
  forwarded: number
  truncated: number
  formErr: number
  notImp: number
  servFail: number
  dropped: number
}

const FORWARD = Symbol('forward')

/** What the cache holds per exact question (case kept) and EDNS flag. */
interface CacheEntry {
  question: Buffer
  edns: boolean
  /** undefined: not ours, forward. */
  answer: EncodedAnswer | undefined
  /** Round-robin answers are built per query, not cached. */
  rotating: boolean
  full?: Buffer
  truncated?: Buffer
}
const CACHE_MAX = 10_000
const TCP_MAX_CONNECTIONS = 256
const RECV_BUFFER = 4 << 20

export class Resolver {
  readonly stats: ResolverStats = {
    queries: 0,
    local: 0,
    forwarded: 0,
    truncated: 0,
    formErr: 0,
    notImp: 0,
    servFail: 0,
    dropped: 0,
  }
  private readonly source: RecordSource
  private readonly host: string
  private readonly wantPort: number
  private readonly ttl: number
  private readonly tcpIdleMs: number
  private readonly forwarder: Forwarder
  private readonly openSocket: SocketFactory | undefined
  private readonly q = new Query()
  private cache = new Map<number, CacheEntry>()
  private cacheVersion = -1
  private rotation = 0
  private udp: Socket | undefined
  private tcp: Server | undefined
  private conns = new Set<TCPSocket>()
  private boundPort = 0
  private starting = false

  constructor(options: ResolverOptions) {
    if (typeof options?.source?.lookupName !== 'function') {
      throw new BadRequestError('invalid-source', 'the resolver needs a record source')
    }
    this.source = options.source
    this.host = options.address ?? '127.0.0.11'
    if (isIP(this.host) === 0) {
      throw new BadRequestError('invalid-address', `invalid listen address ${this.host}`)
    }
    this.wantPort = options.port ?? 53
    if (!Number.isInteger(this.wantPort) || this.wantPort < 0 || this.wantPort > 65535) {
      throw new BadRequestError('invalid-port', `invalid listen port ${this.wantPort}`)
    }
    this.ttl = checkInt('ttl', options.ttl ?? 600, 0, 0x7fffffff)
    this.tcpIdleMs = checkInt('tcpIdleMs', options.tcpIdleMs ?? 10_000, 1, 3_600_000)
    if (options.openSocket !== undefined && typeof options.openSocket !== 'function') {
      throw new BadRequestError('invalid-option', 'openSocket must be a function')
    }
    this.openSocket = options.openSocket
    this.forwarder = new Forwarder(
      checkInt('timeoutMs', options.timeoutMs ?? 4000, 1, 60_000),
      checkInt('maxConcurrent', options.maxConcurrent ?? 1024, 1, 60_000),
      this.openSocket,
    )
    this.forwarder.upstreams = toUpstreams(options.upstreams ?? [])
  }

  /** The address and port being served (after start). */
  get address(): { address: string; port: number } {
    return { address: this.host, port: this.boundPort }
  }

  /** Replace the upstream servers (validated; bad input changes nothing). */
  setUpstreams(list: (UpstreamServer | IP | string)[]): void {
    this.forwarder.upstreams = toUpstreams(list)
  }

  async start(): Promise<{ address: string; port: number }> {
    if (this.udp !== undefined || this.starting) {
      throw new ConflictError('already-started', 'resolver is running')
    }
    this.starting = true
    try {
      return await this.bindAndStart()
    } finally {
      this.starting = false
    }
  }

  private async bindAndStart(): Promise<{ address: string; port: number }> {
    const family = isIP(this.host) === 6 ? 'udp6' : 'udp4'
    for (let attempt = 0; ; attempt++) {
      const udp = await bindUDP(family, this.host, this.wantPort, this.openSocket)
      const port = udp.address().port
      let tcp: Server
      try {
        tcp = await listenTCP(this.host, port, (sock) => this.onConnection(sock), this.openSocket)
      } catch (err) {
        udp.close()
        // With port 0 the UDP port we got may be taken for TCP: try another.
        if (this.wantPort === 0 && attempt < 10) continue
        throw err
      }
      tcp.maxConnections = TCP_MAX_CONNECTIONS
      try {
        // Room for bursts (the kernel caps this at twice net.core.rmem_max).
        udp.setRecvBufferSize(RECV_BUFFER)
      } catch {
        // best effort
      }
      udp.on('message', (msg, rinfo) => this.onUDP(msg, rinfo))
      udp.on('error', () => undefined)
      tcp.on('error', () => undefined)
      this.udp = udp
      this.tcp = tcp
      this.boundPort = port
      break
    }
    try {
      await this.forwarder.start()
    } catch (err) {
      await this.stop()
      throw new UnavailableError('forwarder-failed', 'cannot open the forwarding socket', {
        cause: err,
      })
    }
    return this.address
  }

  async stop(): Promise<void> {
    this.forwarder.stop()
    const udp = this.udp
    const tcp = this.tcp
    this.udp = undefined
    this.tcp = undefined
    for (const c of this.conns) c.destroy()
    this.conns.clear()
    // Both close now (libuv releases the fds inside close()); then wait for both callbacks.
    await Promise.all([
      udp && new Promise<void>((resolve) => udp.close(() => resolve())),
      tcp && new Promise<void>((resolve) => tcp.close(() => resolve())),
    ])
  }

  /** The cache entry for the parsed query, made on a miss. */
  private lookup(msg: Buffer, q: Query): CacheEntry {
    const version = this.source.version
    if (version !== this.cacheVersion) {
      this.cache.clear()
      this.cacheVersion = version
    }
    const hit = this.cache.get(q.hash)
    if (hit !== undefined && hit.edns === q.edns && sameQuestion(msg, q, hit.question)) return hit
    const name = questionName(msg, q)
    const answer =
      name === undefined
        ? undefined
        : localAnswer(this.source, name, q.qtype, q.edns, this.ttl, this.rotation++)
    const entry: CacheEntry = {
      question: Buffer.from(msg.subarray(12, q.questionEnd)),
      edns: q.edns,
      answer,
      rotating: answer?.rotating ?? false,
    }
    if (this.cache.size >= CACHE_MAX) this.cache.clear()
    // A hash collision simply replaces the older entry.
    if (!entry.rotating) this.cache.set(q.hash, entry)
    return entry
  }

  /**
   * Answer one query. `limit` is the largest answer the transport takes (0: the client's UDP
   * size). Returns the answer, undefined to drop, or FORWARD.
   */
  private handle(msg: Buffer, limit: number): Buffer | undefined | typeof FORWARD {
    const q = this.q
    this.stats.queries++
    let r: Parse
    try {
      r = parseQuery(msg, q)
      if (r === Parse.Ok) {
        const e = this.lookup(msg, q)
        const a = e.answer
        if (a === undefined) return FORWARD
        this.stats.local++
        const size = q.questionEnd + a.sections.length
        if (size > (limit === 0 ? q.udpSize : limit)) {
          this.stats.truncated++
          e.truncated ??= buildTemplate(msg, q, a, true)
          return fromTemplate(msg, e.truncated)
        }
        e.full ??= buildTemplate(msg, q, a, false)
        return fromTemplate(msg, e.full)
      }
    } catch {
      // A bug must not take the server down: treat the query as malformed.
      r = Parse.FormErr
    }
    if (r === Parse.Drop) {
      this.stats.dropped++
      return undefined
    }
    if (r === Parse.NotImp) {
      this.stats.notImp++
      return errorAnswer(msg, q, RCODE_NOTIMP, q.questionEnd > 12)
    }
    this.stats.formErr++
    return errorAnswer(msg, q, RCODE_FORMERR, false)
  }

  private servFail(msg: Buffer): Buffer {
    this.stats.servFail++
    const q = new Query()
    return errorAnswer(msg, q, RCODE_SERVFAIL, parseQuery(msg, q) === Parse.Ok)
  }

  private onUDP(msg: Buffer, rinfo: RemoteInfo): void {
    const answer = this.handle(msg, 0)
    if (answer === undefined) return
    const udp = this.udp
    if (udp === undefined) return
    if (answer !== FORWARD) {
      udp.send(answer, rinfo.port, rinfo.address)
      return
    }
    const ok = this.forwarder.forwardUDP(msg, (reply) => {
      this.udp?.send(reply ?? this.servFail(msg), rinfo.port, rinfo.address)
    })
    if (ok) this.stats.forwarded++
    else udp.send(this.servFail(msg), rinfo.port, rinfo.address)
  }

  private onConnection(sock: TCPSocket): void {
    this.conns.add(sock)
    sock.setNoDelay(true)
    sock.setTimeout(this.tcpIdleMs, () => sock.destroy())
    sock.on('close', () => this.conns.delete(sock))
    sock.on('error', () => undefined)
    let buffered: Buffer = Buffer.alloc(0)
    sock.on('data', (chunk: Buffer) => {
      buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk])
      while (buffered.length >= 2) {
        const len = buffered.readUInt16BE(0)
        if (buffered.length < 2 + len) break
        const msg = Buffer.from(buffered.subarray(2, 2 + len))
        buffered = buffered.subarray(2 + len)
        this.onTCPMessage(sock, msg)
      }
    })
  }

  private onTCPMessage(sock: TCPSocket, msg: Buffer): void {
    const write = (answer: Buffer) => {
      if (sock.destroyed) return
      const head = Buffer.allocUnsafe(2)
      head.writeUInt16BE(answer.length, 0)
      sock.write(Buffer.concat([head, answer]))
    }
    const answer = this.handle(msg, 65535)
    if (answer === undefined) {
      sock.destroy() // not DNS: do not keep the connection
      return
    }
    if (answer !== FORWARD) {
      write(answer)
      return
    }
    this.stats.forwarded++
    const original = Buffer.from(msg)
    this.forwarder.forwardTCP(msg).then(
      (reply) => write(reply ?? this.servFail(original)),
      () => write(this.servFail(original)),
    )
  }
}
