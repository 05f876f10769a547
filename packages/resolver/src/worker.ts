/**
 * Running a resolver in a worker thread, so that it can serve inside a sandbox's network
 * namespace: the worker first runs an injected hook (which enters the namespace: setns affects
 * only the calling thread), then binds its sockets there; they stay in that namespace for life.
 * Records are mirrored from a RecordTable in the calling thread as structured-clone messages.
 */
import { Worker } from 'node:worker_threads'
import { BadRequestError, UnavailableError } from '@libnetwork/types'
import type { RecordTable, RecordUpdate } from './records.js'
import type { ResolverOptions, ResolverStats } from './server.js'
import type { UpstreamServer } from './options.js'

/**
 * A function the worker imports and calls before binding: `await import(module)[name](...args)`.
 * Functions cannot cross into a worker, so the hook is named by module (e.g. the netlink
 * package's setns helper) with plain arguments (e.g. the namespace path).
 */
export interface NamespaceHook {
  module: string
  /** Export to call. Default `default`. */
  name?: string
  args?: unknown[]
}

export interface ResolverWorkerOptions extends Omit<ResolverOptions, 'source' | 'upstreams'> {
  /** Mirrored into the worker: its snapshot first, then every update. */
  table?: RecordTable
  upstreams?: (UpstreamServer | string)[]
  enterNamespace?: NamespaceHook
}

export interface WorkerRequest {
  type: 'update' | 'upstreams' | 'stats' | 'stop' | 'sync'
  seq: number
  updates?: RecordUpdate[]
  upstreams?: (UpstreamServer | string)[]
}

export interface WorkerReply {
  type: 'ready' | 'reply' | 'error'
  seq?: number
  address?: string
  port?: number
  stats?: ResolverStats
  error?: { name: string; code: string; message: string }
}

function entryURL(): URL {
  // Under a TypeScript loader (tests) the sibling is .ts; built code runs the .js file.
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js'
  return new URL(`./worker-entry${ext}`, import.meta.url)
}

function toError(e: WorkerReply['error'] | undefined): Error {
  return new UnavailableError(
    e?.code ?? 'resolver-worker',
    e?.message ?? 'resolver worker failed',
    {
      details: { name: e?.name ?? 'Error', code: e?.code ?? '' },
    },
  )
}

/** A resolver serving from a worker thread. */
export class ResolverWorker {
  private seq = 0
  private waiting = new Map<
    number,
    { resolve: (r: WorkerReply) => void; reject: (e: Error) => void }
  >()
  private unsubscribe: (() => void) | undefined
  private exited = false

  private constructor(
    private readonly worker: Worker,
    readonly address: string,
    readonly port: number,
  ) {
    worker.on('message', (m: WorkerReply) => {
      const w = m.seq === undefined ? undefined : this.waiting.get(m.seq)
      if (w === undefined) return
      this.waiting.delete(m.seq!)
      if (m.type === 'error') w.reject(toError(m.error))
      else w.resolve(m)
    })
    // A crash shows as 'exit' (pending requests are rejected there); never as an unhandled error.
    worker.on('error', () => undefined)
    worker.on('exit', () => {
      this.exited = true
      for (const w of this.waiting.values())
        w.reject(new UnavailableError('resolver-worker-exited', 'the resolver worker exited'))
      this.waiting.clear()
      this.unsubscribe?.()
    })
  }

  /** Start a worker, run the namespace hook in it, bind, and mirror `table` into it. */
  static async start(options: ResolverWorkerOptions): Promise<ResolverWorker> {
    const { table, enterNamespace, ...rest } = options
    if (enterNamespace !== undefined && typeof enterNamespace.module !== 'string') {
      throw new BadRequestError('invalid-hook', 'enterNamespace.module must be a module specifier')
    }
    const worker = new Worker(entryURL(), {
      workerData: { options: rest, records: table?.snapshot() ?? [], hook: enterNamespace },
    })
    // Updates made while the worker starts are queued by postMessage, in order.
    const pending: RecordUpdate[] = []
    const early = table?.subscribe((u) => pending.push(u))
    let ready: WorkerReply
    try {
      ready = await new Promise<WorkerReply>((resolve, reject) => {
        worker.once('message', (m: WorkerReply) =>
          m.type === 'ready' ? resolve(m) : reject(toError(m.error)),
        )
        worker.once('error', (err) =>
          reject(new UnavailableError('resolver-worker', err.message, { cause: err })),
        )
        worker.once('exit', (code) =>
          reject(
            new UnavailableError(
              'resolver-worker-exited',
              `the resolver worker exited with code ${code}`,
            ),
          ),
        )
      })
    } catch (err) {
      early?.()
      await worker.terminate()
      throw err
    }
    early?.()
    const rw = new ResolverWorker(worker, ready.address!, ready.port!)
    if (table !== undefined) {
      if (pending.length > 0) worker.postMessage({ type: 'update', seq: -1, updates: pending })
      rw.unsubscribe = table.subscribe((u) => {
        if (!rw.exited)
          worker.postMessage({ type: 'update', seq: -1, updates: [u] } satisfies WorkerRequest)
      })
    }
    return rw
  }

  private request(req: Omit<WorkerRequest, 'seq'>): Promise<WorkerReply> {
    if (this.exited)
      return Promise.reject(
        new UnavailableError('resolver-worker-exited', 'the resolver worker exited'),
      )
    const seq = ++this.seq
    return new Promise((resolve, reject) => {
      this.waiting.set(seq, { resolve, reject })
      this.worker.postMessage({ ...req, seq })
    })
  }

  /** Apply record updates in the worker (for callers without a mirrored table). */
  async update(updates: RecordUpdate[]): Promise<void> {
    await this.request({ type: 'update', updates })
  }

  /** Resolves once every update sent before it has been applied in the worker. */
  async sync(): Promise<void> {
    await this.request({ type: 'sync' })
  }

  async setUpstreams(upstreams: (UpstreamServer | string)[]): Promise<void> {
    await this.request({ type: 'upstreams', upstreams })
  }

  async stats(): Promise<ResolverStats> {
    return (await this.request({ type: 'stats' })).stats!
  }

  /** Close the sockets and end the worker. */
  async stop(): Promise<void> {
    this.unsubscribe?.()
    if (this.exited) return
    await this.request({ type: 'stop' }).catch(() => undefined)
    await this.worker.terminate()
  }
}

/** Start a resolver in a worker thread (see ResolverWorker.start). */
export function startResolverWorker(options: ResolverWorkerOptions): Promise<ResolverWorker> {
  return ResolverWorker.start(options)
}
