// The embedded DNS servers of every sandbox, served by the calling (main) thread. Each sandbox's
// resolver gets its sockets — 127.0.0.11:53 UDP and TCP, its forwarding sockets, a TCP socket per
// query forwarded over TCP — from osl's openSandboxSocket: the thread enters the sandbox's network
// namespace, opens and binds the socket, and returns, all synchronously; the socket keeps that
// namespace for life. No worker thread, no second V8 isolate.
import { openSandboxSocket } from '@libnetwork/osl'
import { RecordTable, Resolver, type RecordUpdate } from '@libnetwork/resolver'

interface Served {
  resolver: Resolver
  table: RecordTable
  /** Settles when start() has; stop() waits for it. */
  started: Promise<unknown>
}

/** What service discovery needs of the resolvers (DnsService; a fake in unit tests). */
export interface DnsServing {
  serve(id: string, ns: string, upstreams: string[], records: RecordUpdate[]): Promise<void>
  update(ids: string[], updates: RecordUpdate[]): Promise<void>
  close(id: string): Promise<void>
  stop(): Promise<void>
}

/** One resolver per sandbox, all on this thread. */
export class DnsService implements DnsServing {
  readonly #served = new Map<string, Served>()
  /** Resolvers whose sockets are closing; stop() waits for them. */
  readonly #closing = new Set<Promise<void>>()

  /**
   * Serve 127.0.0.11:53 inside the namespace at `ns` (a path) for sandbox `id`, answering
   * `records` and forwarding the rest to `upstreams`. Already serving `id`: nothing changes.
   * Fails with the resolver's or the kernel's typed error (a namespace that is gone:
   * NotFoundError; the port taken: ConflictError), leaving nothing open.
   */
  async serve(id: string, ns: string, upstreams: string[], records: RecordUpdate[]): Promise<void> {
    if (this.#served.has(id)) return
    const table = new RecordTable()
    for (const u of records) table.apply(u)
    const resolver = new Resolver({
      source: table,
      upstreams,
      openSocket: (spec) => openSandboxSocket(ns, spec),
    })
    const started = resolver.start()
    const entry: Served = { resolver, table, started: started.catch(() => undefined) }
    // Registered before the first await: a concurrent serve() of the same id is a no-op, and
    // close() waits for the start to settle.
    this.#served.set(id, entry)
    try {
      await started
    } catch (err) {
      if (this.#served.get(id) === entry) this.#served.delete(id)
      throw err
    }
  }

  /** Apply the same record updates to the resolvers of several sandboxes. */
  update(ids: string[], updates: RecordUpdate[]): Promise<void> {
    for (const id of ids) {
      const table = this.#served.get(id)?.table
      if (table !== undefined) for (const u of updates) table.apply(u)
    }
    return Promise.resolve()
  }

  /**
   * Stop serving sandbox `id`. Returns once its sockets are being closed: libuv closes a
   * socket's fd inside `close()`, so the namespace is free at once; only Node's close
   * callbacks come a loop turn later, and stop() waits for those.
   */
  async close(id: string): Promise<void> {
    const s = this.#served.get(id)
    if (s === undefined) return
    this.#served.delete(id)
    const closing = s.started.then(() => s.resolver.stop())
    this.#closing.add(closing)
    void closing.finally(() => this.#closing.delete(closing))
  }

  /** Stop every resolver and wait until every socket is closed. */
  async stop(): Promise<void> {
    const ids = [...this.#served.keys()]
    await Promise.all(ids.map((id) => this.close(id)))
    await Promise.all(this.#closing)
  }

  /** Sandboxes being served (for tests and diagnostics). */
  get serving(): string[] {
    return [...this.#served.keys()]
  }
}
