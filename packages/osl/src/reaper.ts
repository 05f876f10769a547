/**
 * Deletes links off the main thread. Deleting a network device makes the kernel wait for RCU
 * grace periods (~25-40 ms here) inside the request, blocking whichever thread sent it; the
 * reaper sends those requests from one worker thread, one at a time, so the main thread goes
 * on at once. Each job holds an fd of the link's namespace, so the namespace (and the link)
 * stays reachable even if its bind mount is removed meanwhile.
 */
import { closeSync, openSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { InternalError, TimeoutError, UnavailableError } from '@libnetwork/types'
import type { ReapReply, ReapRequest } from './reaper-worker.js'

interface Job {
  seq: number
  fd: number
  netnsPath: string
  index: number
  /** The index of its veth peer in the host namespace, when it has one there. */
  hostPeer?: number
  resolve: () => void
  reject: (err: Error) => void
}

interface Watch {
  peer: number
  deadline: number
  resolve: () => void
  reject: (err: Error) => void
}

/** What the reaper needs to know of the host namespace. */
export interface ReaperHost {
  /** Whether link `index` exists in the host namespace. */
  has(index: number): boolean
}

export class LinkReaper {
  #worker: Worker | undefined
  #seq = 0
  readonly #queue: Job[] = []
  #busy: Job | undefined
  readonly #pending = new Set<Promise<void>>()
  readonly #watches: Watch[] = []
  #timer: NodeJS.Timeout | undefined
  #closing = false

  /**
   * @param host the host namespace, where released veths' peers are watched
   * @param waitMs how long a released veth may take to vanish with its namespace
   */
  constructor(
    private readonly host: ReaperHost,
    private readonly waitMs = 5000,
  ) {}

  /** Deletions queued, running or left to their namespace's teardown. */
  get size(): number {
    return this.#queue.length + (this.#busy ? 1 : 0) + this.#watches.length
  }

  /**
   * Delete link `index` of the namespace at `netnsPath` in the background. Resolves when the
   * kernel has deleted it (or it was gone already); rejects with the kernel's error.
   * `hostPeer` is the index of its veth peer in the host namespace, if it has one there.
   */
  delete(netnsPath: string, index: number, hostPeer?: number): Promise<void> {
    const fd = openSync(netnsPath, 'r')
    const p = new Promise<void>((resolve, reject) => {
      this.#queue.push({ seq: ++this.#seq, fd, netnsPath, index, hostPeer, resolve, reject })
    })
    const tracked = p.then(
      () => undefined,
      () => undefined,
    )
    this.#pending.add(tracked)
    void tracked.then(() => this.#pending.delete(tracked))
    this.#next()
    return p
  }

  /** Resolves when every job queued so far has finished (failures are the callers' to see). */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending)
  }

  /**
   * The namespace at `netnsPath` was unmounted (its sandbox destroyed). Its queued deletions of
   * veths with a peer in the host namespace are left to the kernel: once the last reference to
   * the namespace (our fd) goes, the kernel frees all its links in one batch, ~1 ms a link
   * instead of ~25. Each resolves when its host-side peer is gone; if that takes longer than
   * `waitMs` (something else keeps the namespace alive) it rejects with a TimeoutError.
   */
  release(netnsPath: string): void {
    for (const job of [...this.#queue]) {
      if (job.netnsPath !== netnsPath || job.hostPeer === undefined) continue
      this.#queue.splice(this.#queue.indexOf(job), 1)
      closeSync(job.fd)
      const { hostPeer: peer, resolve, reject } = job
      this.#watches.push({ peer, deadline: Date.now() + this.waitMs, resolve, reject })
    }
    this.#watch()
  }

  #watch(): void {
    if (this.#timer || this.#watches.length === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = undefined
      const now = Date.now()
      for (const w of [...this.#watches]) {
        let gone: boolean
        try {
          gone = !this.host.has(w.peer)
        } catch (err) {
          this.#watches.splice(this.#watches.indexOf(w), 1)
          w.reject(err as Error)
          continue
        }
        if (!gone && now < w.deadline) continue
        this.#watches.splice(this.#watches.indexOf(w), 1)
        if (gone) w.resolve()
        else
          w.reject(
            new TimeoutError(
              'link-not-freed',
              `veth peer ${w.peer} still exists ${this.waitMs} ms after its namespace was released`,
              { details: { index: w.peer } },
            ),
          )
      }
      this.#watch()
    }, 10)
  }

  /** Stop the thread once the queued jobs are done (at once when idle); `settled()` awaits. */
  close(): void {
    this.#closing = true
    if (!this.#busy) this.#stop()
  }

  #stop(): void {
    const w = this.#worker
    this.#worker = undefined
    if (w) void w.terminate()
  }

  #start(): Worker {
    if (this.#worker) return this.#worker
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
    const w = new Worker(new URL(`./reaper-worker${ext}`, import.meta.url))
    w.unref()
    w.on('message', (r: ReapReply) => {
      const job = this.#busy
      if (!job || job.seq !== r.seq) return
      this.#busy = undefined
      closeSync(job.fd)
      if (!r.error || r.error.category === 'not-found') job.resolve()
      else
        job.reject(
          new UnavailableError(r.error.code, `deleting link ${job.index}: ${r.error.message}`, {
            details: { index: job.index, category: r.error.category },
          }),
        )
      this.#next()
    })
    const fail = (err: unknown) => {
      if (this.#worker !== w) return
      this.#worker = undefined
      const jobs = [...(this.#busy ? [this.#busy] : []), ...this.#queue.splice(0)]
      this.#busy = undefined
      for (const job of jobs) {
        closeSync(job.fd)
        job.reject(
          new InternalError('reaper-died', `the link reaper thread failed: ${String(err)}`),
        )
      }
    }
    w.on('error', fail)
    w.on('exit', (code) => fail(`exit ${code}`))
    return (this.#worker = w)
  }

  #next(): void {
    if (this.#busy) return
    const job = this.#queue.shift()
    if (!job) {
      // An idle thread must not keep the process alive; a busy one must.
      if (this.#closing) this.#stop()
      else this.#worker?.unref()
      return
    }
    this.#busy = job
    const req: ReapRequest = { seq: job.seq, fd: job.fd, index: job.index }
    const w = this.#start()
    w.ref()
    w.postMessage(req)
  }
}
