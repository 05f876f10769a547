// The embedded DNS worker thread: one thread serves the resolvers of every sandbox. For each
// sandbox it enters the sandbox's network namespace, binds 127.0.0.11:53 (UDP and TCP) and its
// forwarding socket there, and returns to its own namespace: sockets keep their namespace.
import { parentPort } from 'node:worker_threads'
import { enterNetns } from '@libnetwork/netlink'
import { RecordTable, Resolver, type RecordUpdate } from '@libnetwork/resolver'

export type DnsRequest =
  | {
      type: 'serve'
      seq: number
      id: string
      ns: string
      upstreams: string[]
      records: RecordUpdate[]
    }
  | { type: 'update'; seq: number; ids: string[]; updates: RecordUpdate[] }
  | { type: 'close'; seq: number; id: string }

export interface DnsReply {
  seq: number
  error?: { code: string; message: string }
}

const port = parentPort!
const resolvers = new Map<string, { resolver: Resolver; table: RecordTable }>()
let queue: Promise<unknown> = Promise.resolve()

async function handle(req: DnsRequest): Promise<void> {
  switch (req.type) {
    case 'serve': {
      if (resolvers.has(req.id)) return
      const table = new RecordTable()
      for (const u of req.records) table.apply(u)
      const resolver = new Resolver({ source: table, upstreams: req.upstreams })
      const leave = enterNetns(req.ns)
      try {
        await resolver.start()
      } finally {
        leave()
      }
      resolvers.set(req.id, { resolver, table })
      return
    }
    case 'update': {
      for (const id of req.ids) {
        const r = resolvers.get(id)
        for (const u of req.updates) r?.table.apply(u)
      }
      return
    }
    case 'close': {
      const r = resolvers.get(req.id)
      resolvers.delete(req.id)
      await r?.resolver.stop()
      return
    }
  }
}

port.on('message', (req: DnsRequest) => {
  // One request at a time: a thread switches namespaces for one bind at a time.
  queue = queue.then(
    () =>
      handle(req).then(
        () => port.postMessage({ seq: req.seq } satisfies DnsReply),
        (err: unknown) =>
          port.postMessage({
            seq: req.seq,
            error: {
              code: (err as { code?: string }).code ?? 'dns-worker',
              message: (err as Error).message ?? String(err),
            },
          } satisfies DnsReply),
      ),
    () => undefined,
  )
})
