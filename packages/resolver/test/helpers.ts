// Test helpers: a DNS client over UDP/TCP on loopback and a local upstream server.
import { createSocket, type Socket } from 'node:dgram'
import { connect, createServer, type Server } from 'node:net'
import dnsPacket from 'dns-packet'
import type { SocketSpec } from '../src/index.js'

export interface Ask {
  name: string
  type?: dnsPacket.RecordType
  edns?: number
  id?: number
}

export function encodeQuery(ask: Ask): Buffer {
  return dnsPacket.encode({
    type: 'query',
    id: ask.id ?? 0x1234,
    flags: dnsPacket.RECURSION_DESIRED,
    questions: [{ name: ask.name, type: ask.type ?? 'A', class: 'IN' }],
    additionals:
      ask.edns === undefined
        ? []
        : [{ type: 'OPT', name: '.', udpPayloadSize: ask.edns } as unknown as dnsPacket.Answer],
  })
}

/** Send raw bytes over UDP; resolves with the reply, or undefined after `wait` ms. */
export function udpRaw(
  port: number,
  msg: Buffer,
  wait = 1000,
  host = '127.0.0.1',
): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const s = createSocket('udp4')
    const timer = setTimeout(() => {
      s.close()
      resolve(undefined)
    }, wait)
    s.on('message', (m) => {
      clearTimeout(timer)
      s.close()
      resolve(m)
    })
    s.send(msg, port, host)
  })
}

/** A decoded reply, loosely typed for assertions. */
export interface Reply {
  id: number
  rcode: string
  raw: Buffer
  questions: { name: string; type: string }[]
  answers: { type: string; name: string; ttl: number; data: any }[]
  additionals: { type: string; name: string; ttl: number; data: any }[]
}

export function decode(raw: Buffer): Reply {
  return { ...(dnsPacket.decode(raw) as unknown as Omit<Reply, 'raw'>), raw }
}

export async function udp(port: number, ask: Ask): Promise<Reply> {
  const raw = await udpRaw(port, encodeQuery(ask), 3000)
  if (raw === undefined) throw new Error(`no UDP answer for ${ask.name}`)
  return decode(raw)
}

export function tcpRaw(port: number, msg: Buffer): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' })
    let buf = Buffer.alloc(0)
    s.on('connect', () =>
      s.write(Buffer.concat([Buffer.from([msg.length >> 8, msg.length & 255]), msg])),
    )
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      if (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        s.destroy()
        resolve(buf.subarray(2, 2 + buf.readUInt16BE(0)))
      }
    })
    s.on('close', () => resolve(undefined))
    s.on('error', reject)
  })
}

export async function tcp(port: number, ask: Ask): Promise<Reply> {
  const raw = await tcpRaw(port, encodeQuery(ask))
  if (raw === undefined) throw new Error(`no TCP answer for ${ask.name}`)
  return decode(raw)
}

export const flagsOf = (raw: Buffer) => raw.readUInt16BE(2)
export const rcodeOf = (raw: Buffer) => raw[3]! & 15

export type UpstreamMode = 'answer' | 'servfail' | 'silent' | 'truncate-udp'

/** A DNS server on 127.0.0.1 answering every A query with `address` (UDP and TCP). */
export class FakeUpstream {
  mode: UpstreamMode = 'answer'
  received = 0
  port = 0
  private sock: Socket | undefined
  private server: Server | undefined

  constructor(readonly address: string) {}

  answer(query: Buffer, overTcp = false): Buffer | undefined {
    this.received++
    if (this.mode === 'silent') return undefined
    const q = dnsPacket.decode(query)
    if (this.mode === 'truncate-udp' && !overTcp) {
      return dnsPacket.encode({
        type: 'response',
        id: q.id ?? 0,
        flags: dnsPacket.RECURSION_AVAILABLE | dnsPacket.TRUNCATED_RESPONSE,
        questions: q.questions,
      })
    }
    return dnsPacket.encode({
      type: 'response',
      id: q.id ?? 0,
      flags: dnsPacket.RECURSION_AVAILABLE | (this.mode === 'servfail' ? 2 : 0),
      questions: q.questions,
      answers:
        this.mode !== 'servfail'
          ? (q.questions ?? []).map((x) => ({
              type: 'A' as const,
              name: x.name,
              ttl: 30,
              data: this.address,
            }))
          : [],
    })
  }

  /** Serve on 127.0.0.1; `open` makes the sockets (e.g. inside a namespace) instead of Node. */
  async start(open?: (spec: SocketSpec) => number): Promise<this> {
    // UDP first on a free port, then TCP on the same one; that TCP port may be in use (other
    // test processes run in parallel): then try another port, as the resolver does.
    for (let attempt = 0; ; attempt++) {
      const sock = createSocket('udp4')
      await new Promise<void>((res) =>
        open === undefined
          ? sock.bind(0, '127.0.0.1', () => res())
          : sock.bind({ fd: open({ type: 'udp4', address: '127.0.0.1' }) }, () => res()),
      )
      const port = sock.address().port
      const server = createServer((c) => {
        c.on('data', (d: Buffer) => {
          const a = this.answer(d.subarray(2, 2 + d.readUInt16BE(0)), true)
          if (a !== undefined)
            c.end(Buffer.concat([Buffer.from([a.length >> 8, a.length & 255]), a]))
        })
        c.on('error', () => undefined)
      })
      try {
        await new Promise<void>((res, rej) => {
          server.once('error', rej)
          if (open === undefined) server.listen({ port, host: '127.0.0.1' }, () => res())
          else
            server.listen(
              { fd: open({ type: 'tcp4', address: '127.0.0.1', port, listen: true }) },
              () => res(),
            )
        })
      } catch (err) {
        sock.close()
        if (attempt < 10) continue
        throw err
      }
      sock.on('message', (m, r) => {
        const a = this.answer(m)
        if (a !== undefined) sock.send(a, r.port, r.address)
      })
      this.sock = sock
      this.server = server
      this.port = port
      return this
    }
  }

  async stop(): Promise<void> {
    this.sock?.close()
    await new Promise<void>((res) => this.server?.close(() => res()))
  }
}
