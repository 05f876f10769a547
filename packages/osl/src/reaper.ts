/**
 * Deletes links off the main thread. Deleting a network device makes the kernel wait for RCU
 * grace periods (~25-40 ms here) inside the request, blocking whichever thread sent it; the
 * reaper sends those requests through netlink's `deleteLinkInBackground` (a libuv pool
 * thread), one at a time so the pool stays free for file I/O, and the main thread goes on at
 * once. Each job holds an fd of the link's namespace, so the namespace (and the link) stays
 * reachable even if its bind mount is removed meanwhile.
 */
import { closeSync, openSync } from 'node:fs'
import { Netlink } from '@libnetwork/netlink'
import { InternalError, LibnetworkError, TimeoutError } from '@libnetwork/types'

interface Job {
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
  /** The host namespace's nsfs path, where a peer outliving the wait is deleted directly. */
  path: string
}

export class LinkReaper {
  readonly #queue: Job[] = []
  #busy: Job | undefined
  readonly #pending = new Set<Promise<void>>()
  readonly #watches: Watch[] = []
  #timer: NodeJS.Timeout | undefined

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
      this.#queue.push({ fd, netnsPath, index, hostPeer, resolve, reject })
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
   * instead of ~25. Each resolves when its host-side peer is gone. If that takes longer than
   * `waitMs` (something else keeps the namespace alive, a process or a socket in it), the
   * host-side peer is deleted directly, which takes the pair along, and it settles with that.
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
        else this.#deletePeer(w)
      }
      this.#watch()
    }, 10)
  }

  /** The namespace outlived the wait: queue the deletion of the host end of the pair. */
  #deletePeer(w: Watch): void {
    let fd: number
    try {
      fd = openSync(this.host.path, 'r')
    } catch (err) {
      w.reject(
        new TimeoutError(
          'link-not-freed',
          `veth peer ${w.peer} still exists ${this.waitMs} ms after its namespace was released`,
          { details: { index: w.peer }, cause: err },
        ),
      )
      return
    }
    this.#queue.push({ fd, netnsPath: this.host.path, index: w.peer, ...w })
    this.#next()
  }

  #next(): void {
    if (this.#busy) return
    const job = this.#queue.shift()
    if (!job) return
    this.#busy = job
    void this.#run(job)
  }

  async #run(job: Job): Promise<void> {
    let failure: unknown
    try {
      const nl = Netlink.open({ netns: { fd: job.fd } })
      try {
        await nl.deleteLinkInBackground(job.index)
      } finally {
        nl.close()
      }
    } catch (err) {
      failure = err
    }
    closeSync(job.fd)
    this.#busy = undefined
    if (
      failure === undefined ||
      (LibnetworkError.isInstance(failure) && failure.category === 'not-found')
    )
      job.resolve()
    else
      job.reject(
        failure instanceof Error
          ? failure
          : new InternalError('reap-failed', `deleting link ${job.index} failed`, {
              cause: failure,
            }),
      )
    this.#next()
  }
}
