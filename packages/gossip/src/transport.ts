/**
 * The transport abstraction: datagrams for gossip and probes, streams for push/pull, TCP pings
 * and large user messages. `NetTransport` is the real one on node:dgram and node:net.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram'
import { createServer, connect, type Server, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { IP, UnavailableError, TimeoutError, BadRequestError } from '@libnetwork/types'

/** A node's address: IP value and port. */
export interface Address {
  ip: IP
  port: number
}

export interface TransportHandlers {
  /** One received datagram. */
  packet(buf: Uint8Array, from: Address): void
  /** One accepted stream; the handler owns (and closes) it. */
  stream(conn: Duplex, from: Address): void
}

export interface Transport {
  /** Binds and starts delivering; resolves to the bound address (port 0 → the chosen port). */
  start(handlers: TransportHandlers): Promise<Address>
  sendPacket(buf: Uint8Array, to: Address): void
  dialStream(to: Address, opts?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Duplex>
  stop(): Promise<void>
}

export interface NetTransportOptions {
  /** Address to bind UDP and TCP on (default 127.0.0.1). */
  bindAddr?: IP
  /** Port for both UDP and TCP (default 7946; 0 picks a free port for both). */
  bindPort?: number
}

export const addrKey = (a: Address): string => `${a.ip.toString()}:${a.port}`

/** UDP and TCP on the same port, as memberlist's NetTransport. */
export class NetTransport implements Transport {
  private udp?: UdpSocket
  private tcp?: Server
  private readonly conns = new Set<Socket>()
  private readonly bindAddr: IP
  private readonly bindPort: number

  constructor(opts: NetTransportOptions = {}) {
    this.bindAddr = opts.bindAddr ?? IP.parse('127.0.0.1')
    this.bindPort = opts.bindPort ?? 7946
    if (!Number.isInteger(this.bindPort) || this.bindPort < 0 || this.bindPort > 65535) {
      throw new BadRequestError('gossip-bind-port', `invalid bind port ${this.bindPort}`, {
        details: { port: this.bindPort },
      })
    }
  }

  async start(handlers: TransportHandlers): Promise<Address> {
    const host = this.bindAddr.toString()
    const family = this.bindAddr.version === 6 ? 'udp6' : 'udp4'
    // TCP and UDP share the port; with port 0 retry until both bind to the same free port.
    for (let attempt = 0; attempt < 20; attempt++) {
      const tcp = createServer((sock) => {
        this.conns.add(sock)
        sock.on('close', () => this.conns.delete(sock))
        sock.on('error', () => sock.destroy())
        handlers.stream(sock, {
          ip: IP.parse(stripV6(sock.remoteAddress ?? host)),
          port: sock.remotePort ?? 0,
        })
      })
      try {
        await new Promise<void>((resolve, reject) => {
          tcp.once('error', reject)
          tcp.listen(this.bindPort, host, () => resolve())
        })
      } catch (err) {
        throw new UnavailableError('gossip-bind', `cannot listen on TCP ${host}:${this.bindPort}`, {
          cause: err,
          details: { host, port: this.bindPort },
        })
      }
      const port = (tcp.address() as { port: number }).port
      const udp = createSocket({ type: family })
      try {
        await new Promise<void>((resolve, reject) => {
          udp.once('error', reject)
          udp.bind(port, host, () => resolve())
        })
      } catch (err) {
        await new Promise<void>((r) => tcp.close(() => r()))
        udp.close()
        if (this.bindPort === 0) continue
        throw new UnavailableError('gossip-bind', `cannot bind UDP ${host}:${port}`, {
          cause: err,
          details: { host, port },
        })
      }
      udp.on('message', (msg, rinfo) => {
        handlers.packet(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), {
          ip: IP.parse(stripV6(rinfo.address)),
          port: rinfo.port,
        })
      })
      udp.on('error', () => undefined)
      setRecvBuffer(udp)
      this.udp = udp
      this.tcp = tcp
      return { ip: this.bindAddr, port }
    }
    throw new UnavailableError('gossip-bind', 'no free port for both UDP and TCP', {
      details: { host },
    })
  }

  sendPacket(buf: Uint8Array, to: Address): void {
    this.udp?.send(buf, to.port, to.ip.toString(), () => undefined)
  }

  async dialStream(
    to: Address,
    opts: { timeoutMs?: number; signal?: AbortSignal } = {},
  ): Promise<Duplex> {
    const timeoutMs = opts.timeoutMs ?? 10_000
    return new Promise<Duplex>((resolve, reject) => {
      const sock = connect({ host: to.ip.toString(), port: to.port })
      const timer = setTimeout(() => {
        sock.destroy()
        reject(new TimeoutError('gossip-dial-timeout', `connecting to ${addrKey(to)} timed out`))
      }, timeoutMs)
      const onAbort = (): void => {
        sock.destroy()
        clearTimeout(timer)
        reject(new UnavailableError('gossip-aborted', 'dial aborted'))
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
      sock.once('connect', () => {
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        this.conns.add(sock)
        sock.on('close', () => this.conns.delete(sock))
        sock.setNoDelay(true)
        resolve(sock)
      })
      sock.once('error', (err) => {
        clearTimeout(timer)
        opts.signal?.removeEventListener('abort', onAbort)
        reject(
          new UnavailableError('gossip-dial', `cannot connect to ${addrKey(to)}`, {
            cause: err,
            details: { address: addrKey(to) },
          }),
        )
      })
    })
  }

  async stop(): Promise<void> {
    for (const c of this.conns) c.destroy()
    this.conns.clear()
    const udp = this.udp
    const tcp = this.tcp
    this.udp = undefined
    this.tcp = undefined
    if (udp) await new Promise<void>((r) => udp.close(() => r()))
    if (tcp) await new Promise<void>((r) => tcp.close(() => r()))
  }
}

/** Like memberlist, ask for a 2 MiB receive buffer, halving until the kernel accepts. */
function setRecvBuffer(udp: UdpSocket): void {
  for (let size = 2 * 1024 * 1024; size >= 64 * 1024; size /= 2) {
    try {
      udp.setRecvBufferSize(size)
      return
    } catch {
      // try a smaller one
    }
  }
}

function stripV6(a: string): string {
  return a.startsWith('::ffff:') ? a.slice(7) : a
}
