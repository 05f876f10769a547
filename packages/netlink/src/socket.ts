/**
 * A NETLINK_ROUTE socket opened inside a chosen network namespace, with synchronous
 * request/acknowledge and dump round trips (rtnetlink answers inside `send`, so the reply
 * is already queued when `recv` runs; a receive timeout guards against surprises).
 */
import { closeSync } from 'node:fs'
import { InternalError, RetryError, TimeoutError, UnavailableError } from '@libnetwork/types'
import {
  AF_NETLINK,
  NETLINK_CAP_ACK,
  NETLINK_EXT_ACK,
  NETLINK_ROUTE,
  NLM_F,
  NLMSG,
  NLMSG_HDRLEN,
  NLMSGERR_ATTR_MSG,
  SOCK_CLOEXEC,
  SOCK_RAW,
  SO_RCVBUF,
  SO_RCVTIMEO,
  SO_SNDBUF,
  SOL_NETLINK,
  SOL_SOCKET,
} from './constants.js'
import {
  type MessageWriter,
  type NetlinkMessage,
  attrString,
  parseAttrs,
  parseMessages,
} from './codec.js'
import { errnoError } from './errors.js'
import { libc } from './ffi.js'
import { type NetnsOptions, type NetnsRef, withNetns } from './netns.js'

export interface SocketOptions extends NetnsOptions {
  /** Open the socket inside this namespace (default: the calling thread's). */
  netns?: NetnsRef
  /** Multicast groups to join (RTMGRP_* bits), for event sockets. */
  groups?: number
  /** Receive timeout of a round trip in ms (default 5000). */
  timeoutMs?: number
}

/** A koffi function's asynchronous form: runs on a libuv pool thread, answers by callback. */
interface PoolCall {
  async(
    fd: number,
    buf: Buffer,
    len: number,
    flags: number,
    cb: (err: unknown, result: number) => void,
  ): void
}

const MSG_DONTWAIT = 0x40
const RECV_SIZE = 65536
/**
 * One receive buffer for every socket of this thread (a module instance is per thread): a
 * datagram is copied out before `receive` returns, so sockets never see each other's bytes,
 * and a process with a socket per namespace does not keep 64 KiB per socket.
 */
let scratch: Buffer | undefined
const EAGAIN = 11

function intOpt(v: number): Buffer {
  const b = Buffer.alloc(4)
  b.writeInt32LE(v)
  return b
}

function createFd(groups: number, timeoutMs: number): number {
  const c = libc()
  const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)
  if (fd < 0) throw errnoError(c.errno(), 'cannot open a netlink socket')
  const sa = Buffer.alloc(12)
  sa.writeUInt16LE(AF_NETLINK, 0)
  sa.writeUInt32LE(groups >>> 0, 8)
  if (c.bind(fd, sa, 12) !== 0) {
    const errno = c.errno()
    c.close(fd)
    throw errnoError(errno, 'cannot bind the netlink socket')
  }
  const tv = Buffer.alloc(16)
  tv.writeBigInt64LE(BigInt(Math.floor(timeoutMs / 1000)), 0)
  tv.writeBigInt64LE(BigInt((timeoutMs % 1000) * 1000), 8)
  c.setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, tv, 16)
  c.setsockopt(fd, SOL_SOCKET, SO_SNDBUF, intOpt(1 << 20), 4)
  c.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, intOpt(1 << 21), 4)
  // Ask for the kernel's error text (extended ack) and no echo of our request in errors.
  c.setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, intOpt(1), 4)
  c.setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, intOpt(1), 4)
  return fd
}

/** Decode an NLMSG_ERROR payload: 0 is an acknowledgement, otherwise a positive errno. */
export function decodeError(msg: NetlinkMessage): { errno: number; message?: string } {
  const errno = -msg.payload.readInt32LE(0)
  if (errno === 0 || !(msg.flags & NLM_F.ACK_TLVS)) return { errno }
  let off = 4 + NLMSG_HDRLEN
  if (!(msg.flags & NLM_F.CAPPED)) off = 4 + msg.payload.readUInt32LE(4)
  const message = attrString(parseAttrs(msg.payload, off).get(NLMSGERR_ATTR_MSG))
  return message ? { errno, message } : { errno }
}

export class NetlinkSocket {
  private seq = Math.floor(Math.random() * 0x7fffffff)
  private closed = false

  private constructor(readonly fd: number) {}

  /** Open a socket, inside `options.netns` when given (the thread switches back at once). */
  static open(options: SocketOptions = {}): NetlinkSocket {
    const groups = options.groups ?? 0
    const timeoutMs = options.timeoutMs ?? 5000
    const fd =
      options.netns === undefined
        ? createFd(groups, timeoutMs)
        : withNetns(options.netns, () => createFd(groups, timeoutMs), options)
    return new NetlinkSocket(fd)
  }

  private send(w: MessageWriter): number {
    if (this.closed) throw new UnavailableError('socket-closed', 'the netlink socket is closed')
    this.seq = (this.seq + 1) >>> 0
    const msg = w.finish(this.seq)
    const c = libc()
    if (c.send(this.fd, msg, msg.length, 0) < 0) throw errnoError(c.errno(), 'netlink send failed')
    return this.seq
  }

  /** Receive one datagram; undefined when nothing is queued and `nonBlocking` is set. */
  receive(nonBlocking = false): NetlinkMessage[] | undefined {
    const c = libc()
    const buf = (scratch ??= Buffer.alloc(RECV_SIZE))
    const n = c.recv(this.fd, buf, RECV_SIZE, nonBlocking ? MSG_DONTWAIT : 0)
    if (n < 0) {
      const errno = c.errno()
      if (errno === EAGAIN && nonBlocking) return undefined
      if (errno === EAGAIN) {
        throw new TimeoutError('netlink-timeout', 'no netlink answer within the receive timeout', {
          details: { errno, errnoName: 'EAGAIN' },
        })
      }
      throw errnoError(errno, 'netlink receive failed')
    }
    // Copy: the receive buffer is reused by the next call.
    return parseMessages(Buffer.from(buf.subarray(0, n)))
  }

  /**
   * Send a request with NLM_F_ACK and wait for its acknowledgement. Replies other than the
   * ack (NLM_F_ECHO answers, RTM_GETLINK of one link) are returned. Kernel errors throw
   * typed errors whose message names `what`.
   */
  request(w: MessageWriter, what: string, details: Record<string, unknown> = {}): NetlinkMessage[] {
    return this.collect(this.send(w), what, details)
  }

  /**
   * Like `request`, but `send` runs on a libuv pool thread (koffi's async call), so a request
   * the kernel works on for long inside `send` (deleting a device waits for RCU grace periods)
   * does not block the calling thread. Only one request may be in flight on a socket that is
   * used this way: give it its own socket.
   */
  async requestInPool(
    w: MessageWriter,
    what: string,
    details: Record<string, unknown> = {},
  ): Promise<NetlinkMessage[]> {
    if (this.closed) throw new UnavailableError('socket-closed', 'the netlink socket is closed')
    this.seq = (this.seq + 1) >>> 0
    const seq = this.seq
    const msg = w.finish(seq)
    // koffi's functions are plain functions, not methods: taking one off the table is safe.
    // eslint-disable-next-line @typescript-eslint/unbound-method
    const send = libc().send as unknown as PoolCall
    const n = await new Promise<number>((resolve, reject) =>
      send.async(this.fd, msg, msg.length, 0, (err, res) =>
        err
          ? reject(err instanceof Error ? err : new Error('koffi async send failed'))
          : resolve(res),
      ),
    )
    if (n < 0)
      throw new UnavailableError('netlink-send-failed', `${what}: netlink send failed`, {
        details,
      })
    // The kernel answered inside send: the acknowledgement is queued already.
    return this.collect(seq, what, details)
  }

  private collect(seq: number, what: string, details: Record<string, unknown>): NetlinkMessage[] {
    const out: NetlinkMessage[] = []
    for (;;) {
      for (const m of this.receive() ?? []) {
        if (m.seq !== seq) continue
        if (m.type === NLMSG.ERROR) {
          const { errno, message } = decodeError(m)
          if (errno !== 0) throw errnoError(errno, what, details, message)
          return out
        }
        if (m.type === NLMSG.DONE) return out
        out.push(m)
      }
    }
  }

  /** Send a dump request (NLM_F_DUMP) and collect every part until NLMSG_DONE. */
  dump(w: MessageWriter, what: string, details: Record<string, unknown> = {}): NetlinkMessage[] {
    for (let attempt = 0; attempt < 5; attempt++) {
      const seq = this.send(w)
      const out: NetlinkMessage[] = []
      let interrupted = false
      let done = false
      while (!done) {
        for (const m of this.receive() ?? []) {
          if (m.seq !== seq) continue
          if (m.flags & NLM_F.DUMP_INTR) interrupted = true
          if (m.type === NLMSG.DONE) {
            done = true
          } else if (m.type === NLMSG.ERROR) {
            const { errno, message } = decodeError(m)
            if (errno !== 0) throw errnoError(errno, what, details, message)
            done = true
          } else if (m.type !== NLMSG.NOOP && m.type !== NLMSG.OVERRUN) {
            out.push(m)
          }
        }
      }
      if (!interrupted) return out
    }
    throw new RetryError('dump-interrupted', `${what}: the dump kept changing while read`, {
      details,
    })
  }

  close(): void {
    if (this.closed) return
    this.closed = true
    try {
      closeSync(this.fd)
    } catch (cause) {
      throw new InternalError('close-failed', 'cannot close the netlink socket', { cause })
    }
  }
}
