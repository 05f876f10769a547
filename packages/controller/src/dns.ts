import { Worker } from 'node:worker_threads'
import type { RecordUpdate } from '@libnetwork/resolver'
import { UnavailableError } from '@libnetwork/types'
import type { DnsReply, DnsRequest } from './dns-worker.js'

type Body<T> = T extends { seq: number } ? Omit<T, 'seq'> : never

/** The main-thread side of the DNS worker: one thread, one resolver per sandbox. */
export class DnsService {
  #worker: Worker | undefined
  #seq = 0
  readonly #waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()

  #start(): Worker {
    if (this.#worker) return this.#worker
    const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
    const w = new Worker(new URL(`./dns-worker${ext}`, import.meta.url))
    w.unref()
    w.on('message', (r: DnsReply) => {
      const p = this.#waiting.get(r.seq)
      this.#waiting.delete(r.seq)
      if (r.error) p?.reject(new UnavailableError(r.error.code, `embedded DNS: ${r.error.message}`))
      else p?.resolve()
    })
    const fail = (err: unknown) => {
      for (const p of this.#waiting.values())
        p.reject(
          new UnavailableError('dns-worker-died', `embedded DNS worker failed: ${String(err)}`),
        )
      this.#waiting.clear()
      this.#worker = undefined
    }
    w.on('error', fail)
    w.on('exit', fail)
    return (this.#worker = w)
  }

  #call(req: Body<DnsRequest>): Promise<void> {
    const w = this.#start()
    const seq = ++this.#seq
    return new Promise<void>((resolve, reject) => {
      this.#waiting.set(seq, { resolve, reject })
      w.postMessage({ ...req, seq })
    })
  }

  /** Serve 127.0.0.11:53 inside the namespace at `ns` (a path) for sandbox `id`. */
  serve(id: string, ns: string, upstreams: string[], records: RecordUpdate[]): Promise<void> {
    return this.#call({ type: 'serve', id, ns, upstreams, records })
  }

  /** Apply the same record updates to the resolvers of several sandboxes (one message). */
  update(ids: string[], updates: RecordUpdate[]): Promise<void> {
    return ids.length === 0 || updates.length === 0
      ? Promise.resolve()
      : this.#call({ type: 'update', ids, updates })
  }

  close(id: string): Promise<void> {
    return this.#worker ? this.#call({ type: 'close', id }) : Promise.resolve()
  }

  async stop(): Promise<void> {
    const w = this.#worker
    this.#worker = undefined
    if (w) await w.terminate()
  }
}
