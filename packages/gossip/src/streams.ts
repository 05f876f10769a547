/**
 * Stream side of the core: reading one bounded stream message, serving inbound streams
 * (TCP ping, push/pull, user stream) and the outbound exchanges.
 */
import type { Duplex } from 'node:stream'
import { LibnetworkError, TimeoutError, UnavailableError } from '@libnetwork/types'
import { MembershipCore } from './state.js'
import { IncompleteError, WireError } from './wire/errors.js'
import { compressMessage } from './wire/packet.js'
import type { PushNodeState } from './wire/messages.js'
import {
  decodeStream,
  encodeStream,
  encodeStreamBody,
  frameStreamBody,
  type DecodedStream,
  type PushPullStreamMsg,
  type StreamMessage,
} from './wire/stream.js'
import type { Address, Transport } from './transport.js'

const STATE_NUM = { alive: 0, suspect: 1, dead: 2, left: 2 } as const

export function reasonOf(err: unknown): string {
  if (err instanceof WireError) {
    const r = err.details.reason
    return typeof r === 'string' ? r : 'unknown'
  }
  return 'other'
}

export abstract class StreamCore extends MembershipCore {
  protected transport!: Transport
  protected self!: Address
  /** Inbound streams being read or served. */
  protected inboundStreams = 0
  protected running = false
  /** Encoded bodies of user stream messages, by payload (see `userStreamBody`). */
  private readonly streamBodies = new WeakMap<Uint8Array, Uint8Array>()

  /** Hands a user message to the delegate; a throwing delegate is counted, not fatal. */
  protected deliver(payload: Uint8Array): void {
    try {
      this.cfg.delegate?.notifyMessage?.(payload)
    } catch {
      this.metrics.count('delegateErrors')
    }
  }

  protected writeStream(conn: Duplex, m: StreamMessage): void {
    const bytes = encodeStream(m, {
      compress: this.cfg.enableCompression,
      keyring: this.cfg.keyring,
      label: this.cfg.label,
    })
    this.metrics.bytesSent += bytes.length
    conn.write(bytes)
  }

  /** Reads one stream message, bounded in size and time. */
  protected readStream(conn: Duplex): Promise<DecodedStream> {
    return new Promise<DecodedStream>((resolve, reject) => {
      const chunks: Buffer[] = []
      let have = 0
      let need = 1
      const finish = (err?: unknown, v?: DecodedStream): void => {
        clearTimeout(timer)
        conn.off('data', onData)
        conn.off('end', onEnd)
        conn.off('close', onEnd)
        conn.off('error', onError)
        if (err) reject(err instanceof Error ? err : new Error('stream read failed'))
        else resolve(v!)
      }
      const timer = setTimeout(
        () => finish(new TimeoutError('gossip-stream-timeout', 'stream read timed out')),
        this.cfg.tcpTimeout,
      )
      const onData = (c: Buffer): void => {
        chunks.push(c)
        have += c.length
        this.metrics.bytesReceived += c.length
        if (have > this.cfg.maxStreamSize + 64) {
          finish(
            new WireError('size', `stream exceeds ${this.cfg.maxStreamSize} bytes`, {
              limit: this.cfg.maxStreamSize,
            }),
          )
          return
        }
        if (have < need) return
        const buf = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)
        chunks.length = 0
        chunks.push(buf)
        try {
          const d = decodeStream(new Uint8Array(buf.buffer, buf.byteOffset, buf.length), {
            keyring: this.cfg.keyring,
            label: this.cfg.label,
            maxSize: this.cfg.maxStreamSize,
          })
          finish(undefined, d)
        } catch (err) {
          if (err instanceof IncompleteError) need = have + err.missing
          else finish(err)
        }
      }
      const onEnd = (): void =>
        finish(new WireError('truncated', 'stream closed before a whole message'))
      const onError = (e: Error): void =>
        finish(new UnavailableError('gossip-stream', 'stream failed', { cause: e }))
      conn.on('data', onData)
      conn.on('end', onEnd)
      conn.on('close', onEnd)
      conn.on('error', onError)
    })
  }

  protected handleStream(conn: Duplex, _from: Address): void {
    this.metrics.streamsAccepted++
    // memberlist caps concurrent push/pulls; we cap every inbound stream still being read or
    // served, before reading, so idle or slow senders cannot pile up buffers
    if (this.inboundStreams >= this.cfg.maxConcurrentPushPull) {
      this.metrics.count('streamsRejected')
      conn.destroy()
      return
    }
    this.inboundStreams++
    void this.serveStream(conn).finally(() => this.inboundStreams--)
  }

  private async serveStream(conn: Duplex): Promise<void> {
    try {
      if (!this.running) return
      const d = await this.readStream(conn)
      const m = d.message
      if (m.type === 'ping') {
        if (m.node === '' || m.node === this.cfg.name) {
          this.writeStream(conn, { type: 'ack', seqNo: m.seqNo, payload: null })
        }
      } else if (m.type === 'pushPull') {
        this.writeStream(conn, this.localState(m.join))
        this.mergeRemoteState(m)
        this.metrics.count('pushPullsServed')
      } else if (m.type === 'user') {
        this.deliver(m.payload)
      }
    } catch (err) {
      if (err instanceof WireError) {
        this.metrics.decodeError(reasonOf(err))
        try {
          this.writeStream(conn, { type: 'err', error: err.message })
        } catch {
          // the connection may be gone already
        }
      } else this.metrics.count('streamErrors')
    } finally {
      conn.end()
      setTimeout(() => conn.destroy(), 1000).unref()
    }
  }

  protected localState(join: boolean): PushPullStreamMsg {
    const states: PushNodeState[] = this.nodes.map((n) => ({
      name: n.name,
      addr: n.addr,
      port: n.port,
      meta: n.meta,
      incarnation: n.incarnation,
      state: STATE_NUM[n.state],
      vsn: n.vsn,
    }))
    const userState = this.cfg.delegate?.localState?.(join) ?? new Uint8Array(0)
    return { type: 'pushPull', join, states, userState }
  }

  protected mergeRemoteState(m: PushPullStreamMsg): void {
    for (const s of m.states) {
      if (s.state === 0) {
        this.aliveNode({
          type: 'alive',
          node: s.name,
          addr: s.addr,
          port: s.port,
          meta: s.meta,
          incarnation: s.incarnation,
          vsn: s.vsn,
        })
      } else if (s.state === 3) {
        this.deadNode({ type: 'dead', node: s.name, incarnation: s.incarnation, from: s.name })
      } else {
        // a peer's dead verdict is only a suspicion here (memberlist does the same)
        this.suspectNode({
          type: 'suspect',
          node: s.name,
          incarnation: s.incarnation,
          from: this.cfg.name,
        })
      }
    }
    try {
      this.cfg.delegate?.mergeRemoteState?.(m.userState, m.join)
    } catch {
      this.metrics.count('delegateErrors')
    }
  }

  /** Full state exchange with one peer over a stream. */
  protected async pushPull(to: Address, join: boolean, signal?: AbortSignal): Promise<void> {
    const conn = await this.transport.dialStream(to, {
      timeoutMs: this.cfg.tcpTimeout,
      ...(signal ? { signal } : {}),
    })
    this.metrics.streamsOpened++
    try {
      this.writeStream(conn, this.localState(join))
      const d = await this.readStream(conn)
      if (d.message.type === 'err') {
        throw new UnavailableError(
          'gossip-remote-error',
          `peer refused push/pull: ${d.message.error}`,
        )
      }
      if (d.message.type !== 'pushPull') throw new WireError('type', 'expected a push/pull reply')
      this.mergeRemoteState(d.message)
      this.metrics.count('pushPulls')
    } catch (err) {
      if (err instanceof WireError) this.metrics.decodeError(reasonOf(err))
      throw err
    } finally {
      conn.destroy()
    }
  }

  /** TCP fallback ping: true when the peer acks `seq` on the stream before `timeoutMs`. */
  protected async tcpPing(
    to: Address,
    node: string,
    seq: number,
    timeoutMs: number,
  ): Promise<boolean> {
    let conn: Duplex | undefined
    try {
      conn = await this.transport.dialStream(to, { timeoutMs })
      this.writeStream(conn, { type: 'ping', seqNo: seq, node })
      const d = await this.readStream(conn)
      return d.message.type === 'ack' && d.message.seqNo === seq
    } catch (err) {
      if (!LibnetworkError.isInstance(err)) throw err
      return false
    } finally {
      conn?.destroy()
    }
  }

  /** Sends a user message over a stream (no size limit besides maxStreamSize). */
  protected async sendUserStream(to: Address, payload: Uint8Array): Promise<void> {
    await this.sendUserStreamBody(to, this.userStreamBody(payload))
  }

  /**
   * The body of a user stream message, compressed when configured and not too large. It is
   * the same for every receiver, so it is kept (weakly, per payload object) and a payload sent
   * to several members is compressed once; a payload must not change once handed over.
   */
  protected userStreamBody(payload: Uint8Array): Uint8Array {
    const known = this.streamBodies.get(payload)
    if (known) return known
    const body = encodeStreamBody({ type: 'user', payload })
    const limit = this.cfg.streamCompressionLimit
    const compress = this.cfg.enableCompression && (limit === 0 || payload.length <= limit)
    const out = compress ? compressMessage(body) : body
    this.streamBodies.set(payload, out)
    return out
  }

  /** Dial, send one (compressed) stream body encrypted and labelled as configured, close. */
  protected async sendUserStreamBody(to: Address, body: Uint8Array): Promise<void> {
    const conn = await this.transport.dialStream(to, { timeoutMs: this.cfg.tcpTimeout })
    this.metrics.streamsOpened++
    await new Promise<void>((resolve, reject) => {
      const bytes = frameStreamBody(body, {
        compress: false,
        keyring: this.cfg.keyring,
        label: this.cfg.label,
      })
      this.metrics.bytesSent += bytes.length
      conn.once('error', (e) =>
        reject(new UnavailableError('gossip-stream', 'stream write failed', { cause: e })),
      )
      conn.end(bytes, () => resolve())
    })
  }
}
