/**
 * Network side of the membership core: datagram send with piggy-backed broadcasts, receive and
 * dispatch, and ack/nack bookkeeping.
 */
import { IP } from '@libnetwork/types'
import type { NodeRecord } from './state.js'
import { StreamCore, reasonOf } from './streams.js'
import { WireError } from './wire/errors.js'
import { encodeMessage, type Message } from './wire/messages.js'
import { decodePacket, encodePacket, makeCompound } from './wire/packet.js'
import { TransmitLimitedQueue } from './broadcast.js'
import type { Address } from './transport.js'
import type { ResolvedConfig } from './config.js'

const COMPOUND_HEADER = 2
const COMPOUND_PART = 2

interface AckHandler {
  ack(payload: Uint8Array | null): void
  nack(): void
  timer: NodeJS.Timeout
}

export abstract class NetCore extends StreamCore {
  protected seqNo = 0
  protected readonly ackHandlers = new Map<number, AckHandler>()
  /** User broadcasts queued through `broadcast()`. */
  protected readonly userQueue: TransmitLimitedQueue

  constructor(cfg: ResolvedConfig) {
    super(cfg)
    this.userQueue = new TransmitLimitedQueue({
      numNodes: () => this.nodeCount(),
      retransmitMult: cfg.retransmitMult,
    })
  }

  protected nextSeq(): number {
    this.seqNo = (this.seqNo + 1) >>> 0
    return this.seqNo
  }

  protected addrOf(n: NodeRecord): Address {
    return { ip: IP.fromBytes(n.addr), port: n.port }
  }

  private packetOverhead(): number {
    return (
      (this.cfg.keyring && this.cfg.keyring.size > 0 ? 29 : 0) +
      5 +
      (this.cfg.label ? 2 + this.cfg.label.length : 0)
    )
  }

  /** Collects broadcasts: memberlist's own, then user broadcasts, then the delegate's. */
  protected getBroadcasts(overhead: number, limit: number): Uint8Array[] {
    const out = this.queue.getBroadcasts(overhead, limit)
    let used = out.reduce((a, b) => a + b.length + overhead, 0)
    for (const m of this.userQueue.getBroadcasts(overhead, limit - used)) {
      out.push(m)
      used += m.length + overhead
    }
    const d = this.cfg.delegate
    if (d?.getBroadcasts && limit - used > overhead + 1) {
      let extra: Uint8Array[] = []
      try {
        extra = d.getBroadcasts(overhead + 1, limit - used)
      } catch {
        this.metrics.count('delegateErrors')
      }
      for (const p of extra) {
        const m = new Uint8Array(p.length + 1)
        m[0] = 8
        m.set(p, 1)
        out.push(m)
      }
    }
    return out
  }

  /** Sends one message, piggy-backing broadcasts into a compound when there is room. */
  protected sendMsg(
    to: Address,
    msg: Uint8Array,
    opts: { crc?: boolean; piggyback?: boolean } = {},
  ): void {
    let body = msg
    if (opts.piggyback !== false) {
      const avail = this.cfg.udpBufferSize - msg.length - COMPOUND_HEADER - this.packetOverhead()
      const extra = avail > 0 ? this.getBroadcasts(COMPOUND_PART, avail) : []
      if (extra.length > 0) body = makeCompound([msg, ...extra.slice(0, 254)])
    }
    this.sendRaw(to, body, opts.crc ?? false)
  }

  /** `compressed`: `body` has been through compression already (sent to several peers). */
  protected sendRaw(to: Address, body: Uint8Array, crc: boolean, compressed = false): void {
    const bytes = encodePacket(body, {
      compress: this.cfg.enableCompression && !compressed,
      crc,
      keyring: this.cfg.keyring,
      label: this.cfg.label,
    })
    this.metrics.packetsSent++
    this.metrics.bytesSent += bytes.length
    this.transport.sendPacket(bytes, to)
  }

  /** True when the node's advertised protocol max allows a CRC (≥ 5). */
  protected wantsCrc(n: NodeRecord | undefined): boolean {
    return (n?.vsn[1] ?? 0) >= 5
  }

  /** Entry point of every received datagram. */
  protected handlePacket(buf: Uint8Array, from: Address): void {
    if (!this.running) return
    this.metrics.packetsReceived++
    this.metrics.bytesReceived += buf.length
    let p
    try {
      p = decodePacket(buf, {
        keyring: this.cfg.keyring,
        label: this.cfg.label,
        maxDecompressed: Math.max(65536, this.cfg.udpBufferSize * 64),
      })
    } catch (err) {
      this.metrics.decodeError(reasonOf(err))
      return
    }
    for (const e of p.errors) this.metrics.decodeError(reasonOf(e))
    if (p.truncated) this.metrics.decodeError('compound-truncated')
    for (const m of p.messages) {
      try {
        this.handleMessage(m, from)
      } catch (err) {
        this.metrics.decodeError(reasonOf(err))
      }
    }
  }

  protected handleMessage(m: Message, from: Address): void {
    switch (m.type) {
      case 'ping':
        if (m.node !== '' && m.node !== this.cfg.name) {
          this.metrics.count('misdirectedPings')
          return
        }
        this.sendMsg(from, encodeMessage({ type: 'ack', seqNo: m.seqNo, payload: null }))
        return
      case 'indirectPing': {
        if (m.target.length !== 4 && m.target.length !== 16)
          throw new WireError('target', 'bad indirect ping target')
        const seq = this.nextSeq()
        const target = { ip: IP.fromBytes(m.target), port: m.port }
        this.setAckHandler(
          seq,
          () => this.sendMsg(from, encodeMessage({ type: 'ack', seqNo: m.seqNo, payload: null })),
          () => undefined,
          this.cfg.probeTimeout,
          () => {
            if (m.nack) this.sendMsg(from, encodeMessage({ type: 'nack', seqNo: m.seqNo }))
          },
        )
        this.sendMsg(target, encodeMessage({ type: 'ping', seqNo: seq, node: m.node }))
        return
      }
      case 'ack':
        this.ackHandlers.get(m.seqNo)?.ack(m.payload)
        return
      case 'nack':
        this.ackHandlers.get(m.seqNo)?.nack()
        return
      case 'alive':
        this.aliveNode(m)
        return
      case 'suspect':
        this.suspectNode(m)
        return
      case 'dead':
        this.deadNode(m)
        return
      case 'user':
        this.deliver(m.payload)
        return
      case 'err':
        return
    }
  }

  /** Registers callbacks for an ack/nack of `seq`, removed after `timeoutMs`. */
  protected setAckHandler(
    seq: number,
    ack: (payload: Uint8Array | null) => void,
    nack: () => void,
    timeoutMs: number,
    onTimeout?: () => void,
  ): () => void {
    const timer = setTimeout(() => {
      this.ackHandlers.delete(seq)
      onTimeout?.()
    }, timeoutMs)
    const h: AckHandler = {
      ack: (p) => {
        clearTimeout(timer)
        this.ackHandlers.delete(seq)
        ack(p)
      },
      nack,
      timer,
    }
    this.ackHandlers.set(seq, h)
    return () => {
      clearTimeout(timer)
      this.ackHandlers.delete(seq)
    }
  }
}
