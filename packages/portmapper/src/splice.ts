// The kernel relay of the userland proxy: moves the bytes of TCP connections from one socket to
// the other with splice(2) through a pipe per direction, so they never enter user space.
//
// Waiting happens off the event loop: one epoll_wait at a time runs on a libuv worker thread
// (koffi's async call) over every relayed socket. When it returns, the event loop moves what
// can move with non-blocking splices (bounded per wake-up) and waits again. Nothing else runs
// in JavaScript while bytes flow, and no second V8 isolate is needed.
//
// Per direction: source -> pipe -> destination. A source at EOF shuts the destination's write
// side once the pipe is empty (half-close travels through). A full pipe stops reading its source
// until the destination drains it (back-pressure: the sockets' kernel buffers and the pipe are
// all the buffering there is). An error on either socket ends the pair, and the proxy destroys
// both sockets, as the copying relay does.
import { writeSync } from 'node:fs'
import type net from 'node:net'
import { loadRelayLibc, type RelayLibc } from './splice-libc.js'

const EAGAIN = 11
const EINTR = 4
const O_NONBLOCK = 0o4000
const O_CLOEXEC = 0o2000000
const SPLICE_F_MOVE = 1
const SPLICE_F_NONBLOCK = 2
const FLAGS = SPLICE_F_MOVE | SPLICE_F_NONBLOCK
const F_SETPIPE_SZ = 1031
const SHUT_WR = 1
const EPOLLIN = 0x1
const EPOLLOUT = 0x4
const EPOLLERR = 0x8
const EPOLLHUP = 0x10
const EPOLL_CTL_ADD = 1
const EPOLL_CTL_DEL = 2
const EPOLL_CTL_MOD = 3
/** struct epoll_event is packed on x86-64 (12 bytes), naturally aligned on arm64 (16). */
const EV_SIZE = process.arch === 'x64' ? 12 : 16
const EV_DATA = process.arch === 'x64' ? 4 : 8
const MAX_EVENTS = 64
/** Pipe capacity asked for (the kernel's default is 64 KiB): bytes in flight per direction. */
const PIPE_SIZE = 1 << 20
/**
 * Splice rounds per direction per wake-up (each moves at most a pipe's worth), so the event loop
 * is never held for long. Each wake-up costs two thread hand-offs, so fewer and fuller ones cost
 * less CPU per GB: 16 measured about 9% below 4 (paired rounds, bench/p1.ts style).
 */
const ROUNDS = 16

interface Direction {
  src: number
  dst: number
  pipeR: number
  pipeW: number
  capacity: number
  inPipe: number
  eof: boolean
  done: boolean
}

interface Pair {
  id: number
  a: number
  b: number
  ab: Direction
  ba: Direction
  /** epoll interest per socket; -1 once the socket left the epoll set. */
  events: Map<number, number>
  /** Called once when the pair is finished; `error` when it ended on an error. */
  end: (error?: string) => void
}

/** A socket's file descriptor (-1 where Node does not expose one). */
function fdOf(s: net.Socket): number {
  const fd = (s as net.Socket & { _handle?: { fd?: unknown } })._handle?.fd
  return typeof fd === 'number' ? fd : -1
}

export class KernelRelay {
  /** Linux on x86-64 or arm64 (the epoll_event layouts this code knows). */
  static readonly supported =
    process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')

  #libc: RelayLibc | undefined
  #failed = !KernelRelay.supported
  #epfd = -1
  #wake = -1
  #waiting = false
  #next = 1
  readonly #byFd = new Map<number, Pair>()
  readonly #pairs = new Map<number, Pair>()
  readonly #events = Buffer.alloc(EV_SIZE * MAX_EVENTS)
  readonly #one = Buffer.alloc(EV_SIZE)
  readonly #eight = Buffer.alloc(8)

  constructor(private readonly onFault: (message: string) => void = () => undefined) {}

  /** Whether new pairs can be relayed in the kernel. */
  get usable(): boolean {
    return !this.#failed
  }

  /** Pairs relayed now. */
  get size(): number {
    return this.#pairs.size
  }

  /**
   * Relay between two connected sockets that are not reading (paused) in the kernel; `end` is
   * called once when the pair is finished, then the caller closes both sockets (until then the
   * relay owns them). Returns the pair's id, or undefined if this cannot be (relay them yourself).
   */
  relay(a: net.Socket, b: net.Socket, end: (error?: string) => void): number | undefined {
    const fa = fdOf(a)
    const fb = fdOf(b)
    if (fa < 0 || fb < 0 || !this.#init()) return undefined
    const ab = this.#direction(fa, fb)
    if (ab === undefined) return undefined
    const ba = this.#direction(fb, fa)
    if (ba === undefined) {
      this.#closePipe(ab)
      return undefined
    }
    const id = this.#next++
    const p: Pair = { id, a: fa, b: fb, ab, ba, events: new Map(), end }
    this.#pairs.set(id, p)
    for (const fd of [fa, fb]) {
      this.#byFd.set(fd, p)
      p.events.set(fd, -1)
    }
    for (const fd of [fa, fb]) {
      if (this.#ctl(EPOLL_CTL_ADD, fd, EPOLLIN) < 0) {
        this.#finish(p, `epoll_ctl: errno ${this.#libc!.errno()}`)
        return id
      }
      p.events.set(fd, EPOLLIN)
    }
    // bytes may be waiting already (a client that wrote before it was accepted)
    this.#service(p)
    this.#arm()
    return id
  }

  /** Stop relaying these pairs now; each one's `end` is called with 'dropped'. */
  drop(ids: Iterable<number>): void {
    for (const id of ids) {
      const p = this.#pairs.get(id)
      if (p) this.#finish(p, 'dropped')
    }
  }

  #init(): boolean {
    if (this.#failed) return false
    if (this.#libc) return true
    try {
      const libc = loadRelayLibc()
      const epfd = libc.epollCreate1(O_CLOEXEC)
      const wake = libc.eventfd(0, O_NONBLOCK | O_CLOEXEC)
      if (epfd < 0 || wake < 0) throw new Error(`epoll/eventfd: errno ${libc.errno()}`)
      this.#libc = libc
      this.#epfd = epfd
      this.#wake = wake
      this.#ctl(EPOLL_CTL_ADD, wake, EPOLLIN)
      return true
    } catch (err) {
      this.#failed = true
      this.onFault(`kernel relay unavailable, copying instead: ${(err as Error).message}`)
      return false
    }
  }

  #ctl(op: number, fd: number, events: number): number {
    this.#one.fill(0)
    this.#one.writeUInt32LE(events, 0)
    this.#one.writeUInt32LE(fd, EV_DATA)
    return this.#libc!.epollCtl(this.#epfd, op, fd, op === EPOLL_CTL_DEL ? null : this.#one)
  }

  #direction(src: number, dst: number): Direction | undefined {
    const libc = this.#libc!
    if (libc.pipe2(this.#eight, O_NONBLOCK | O_CLOEXEC) < 0) return undefined
    const pipeR = this.#eight.readInt32LE(0)
    const pipeW = this.#eight.readInt32LE(4)
    // a bigger pipe moves more per call; the default size works where a limit forbids it
    const size = libc.fcntl(pipeW, F_SETPIPE_SZ, PIPE_SIZE)
    const capacity = size > 0 ? size : 65536
    return { src, dst, pipeR, pipeW, capacity, inPipe: 0, eof: false, done: false }
  }

  #closePipe(d: Direction): void {
    this.#libc!.close(d.pipeR)
    this.#libc!.close(d.pipeW)
  }

  /** Move what can move now. Returns 0, or the errno that ends the pair. */
  #pump(d: Direction): number {
    const libc = this.#libc!
    for (let i = 0; i < ROUNDS && !d.done; i++) {
      let progress = false
      if (d.inPipe > 0) {
        const n = libc.splice(d.pipeR, null, d.dst, null, d.inPipe, FLAGS)
        if (n > 0) {
          d.inPipe -= n
          progress = true
        } else if (n < 0) {
          const e = libc.errno()
          if (e !== EAGAIN && e !== EINTR) return e
        }
      }
      if (d.inPipe === 0 && d.eof) {
        // fails only if the destination is gone, which its own events report
        libc.shutdown(d.dst, SHUT_WR)
        d.done = true
        break
      }
      if (!d.eof && d.inPipe < d.capacity) {
        const n = libc.splice(d.src, null, d.pipeW, null, d.capacity - d.inPipe, FLAGS)
        if (n > 0) {
          d.inPipe += n
          progress = true
        } else if (n === 0) {
          d.eof = true
          progress = true
        } else {
          const e = libc.errno()
          if (e !== EAGAIN && e !== EINTR) return e
        }
      }
      if (!progress) break
    }
    return 0
  }

  /** Readable while its direction reads; writable while a pipe holds bytes for it. */
  #wanted(p: Pair, fd: number): number {
    let ev = 0
    for (const d of [p.ab, p.ba]) {
      if (d.src === fd && !d.eof && d.inPipe < d.capacity) ev |= EPOLLIN
      if (d.dst === fd && d.inPipe > 0) ev |= EPOLLOUT
    }
    return ev
  }

  #service(p: Pair): void {
    for (const d of [p.ab, p.ba]) {
      const e = this.#pump(d)
      if (e !== 0) return this.#finish(p, `errno ${e}`)
    }
    if (p.ab.done && p.ba.done) return this.#finish(p)
    for (const fd of [p.a, p.b]) {
      const had = p.events.get(fd)!
      if (had < 0) continue
      const want = this.#wanted(p, fd)
      if (want !== had) {
        this.#ctl(EPOLL_CTL_MOD, fd, want)
        p.events.set(fd, want)
      }
    }
  }

  #finish(p: Pair, error?: string): void {
    for (const fd of [p.a, p.b]) {
      if (p.events.get(fd)! >= 0) this.#ctl(EPOLL_CTL_DEL, fd, 0)
      this.#byFd.delete(fd)
    }
    this.#closePipe(p.ab)
    this.#closePipe(p.ba)
    this.#pairs.delete(p.id)
    // nothing left to wait for: let the waiting thread go
    if (this.#pairs.size === 0 && this.#waiting) {
      this.#eight.writeBigUInt64LE(1n)
      writeSync(this.#wake, this.#eight)
    }
    p.end(error)
  }

  #onEvent(fd: number, events: number): void {
    const p = this.#byFd.get(fd)
    // a pair finished since the wait returned
    if (p === undefined || p.events.get(fd)! < 0) return
    if (events & EPOLLERR) return this.#finish(p, 'socket error')
    this.#service(p)
    if (events & EPOLLHUP && this.#pairs.has(p.id) && p.events.get(fd)! >= 0) {
      // Without an error, a hang-up means this socket's write side is shut (its direction is
      // done) and its peer's FIN arrived: all that is left to read is queued already, and the
      // other socket's events drive the rest. Watching this one would only repeat the hang-up.
      this.#ctl(EPOLL_CTL_DEL, fd, 0)
      p.events.set(fd, -1)
      this.#service(p)
    }
  }

  #arm(): void {
    if (this.#waiting || this.#pairs.size === 0) return
    this.#waiting = true
    this.#libc!.epollWaitAsync(this.#epfd, this.#events, MAX_EVENTS, -1, (err, n) => {
      this.#waiting = false
      if (err) {
        this.#failed = true
        this.onFault(
          `kernel relay: epoll_wait failed: ${err instanceof Error ? err.message : 'unknown error'}`,
        )
        for (const p of [...this.#pairs.values()]) this.#finish(p, 'relay failed')
        return
      }
      for (let i = 0; i < n; i++) {
        const events = this.#events.readUInt32LE(i * EV_SIZE)
        const fd = this.#events.readUInt32LE(i * EV_SIZE + EV_DATA)
        if (fd === this.#wake) this.#libc!.read(this.#wake, this.#eight, 8)
        else this.#onEvent(fd, events)
      }
      this.#arm()
    })
  }
}
