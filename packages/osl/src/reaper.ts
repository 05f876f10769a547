/**
 * Deletes links off the main thread. Deleting a network device makes the kernel wait for RCU
 * grace periods (~25-40 ms here) inside the request, blocking whichever thread sent it; the
 * reaper sends those requests from one worker thread, one at a time, so the main thread goes
 * on at once. Each job holds an fd of the link's namespace, so the namespace (and the link)
 * stays reachable even if its bind mount is removed meanwhile.
 */
import { closeSync, openSync } from 'node:fs'
import { Worker } from 'node:worker_threads'
import { InternalError, UnavailableError } from '@libnetwork/types'
import type { ReapReply, ReapRequest } from './reaper-worker.js'

interface Job {
  seq: number
  fd: number
  index: number
  resolve: () => void
  reject: (err: Error) => void
}

export class LinkReaper {
  #worker: Worker | undefined
  #seq = 0
  readonly #queue: Job[] = []
  #busy: Job | undefined
  readonly #pending = new Set<Promise<void>>()
  #closing = false

  /** Jobs queued or running. */
  get size(): number {
    return this.#queue.length + (this.#busy ? 1 : 0)
  }

  /**
   * Delete link `index` of the namespace at `netnsPath` in the background. Resolves when the
   * kernel has deleted it (or it was gone already); rejects with the kernel's error.
   */
  delete(netnsPath: string, index: number): Promise<void> {
    this.#closing = false
    const fd = openSync(netnsPath, 'r')
    const p = new Promise<void>((resolve, reject) => {
      this.#queue.push({ seq: ++this.#seq, fd, index, resolve, reject })
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
