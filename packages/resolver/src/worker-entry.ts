/** Worker-thread side of ResolverWorker: enter the namespace, serve, apply record updates. */
import { parentPort, workerData } from 'node:worker_threads'
import { LibnetworkError } from '@libnetwork/types'
import { RecordTable, type RecordUpdate } from './records.js'
import { Resolver } from './server.js'
import type { NamespaceHook, WorkerReply, WorkerRequest } from './worker.js'

interface Data {
  options: Omit<ConstructorParameters<typeof Resolver>[0], 'source'>
  records: RecordUpdate[]
  hook?: NamespaceHook
}

const port = parentPort!
const data = workerData as Data

function errorOf(err: unknown): WorkerReply['error'] {
  const e = err as Error
  return {
    name: e?.name ?? 'Error',
    code: LibnetworkError.isInstance(err) ? err.code : 'resolver-worker',
    message: e?.message ?? String(err),
  }
}

async function main(): Promise<void> {
  if (data.hook !== undefined) {
    const mod = (await import(data.hook.module)) as Record<string, unknown>
    const fn = mod[data.hook.name ?? 'default']
    if (typeof fn !== 'function') {
      throw new Error(`${data.hook.module} has no function export ${data.hook.name ?? 'default'}`)
    }
    await (fn as (...a: unknown[]) => unknown)(...(data.hook.args ?? []))
  }
  const table = new RecordTable()
  for (const u of data.records) table.apply(u)
  const resolver = new Resolver({ ...data.options, source: table })
  const bound = await resolver.start()
  port.on('message', (req: WorkerRequest) => {
    const reply = (extra: Partial<WorkerReply> = {}) => {
      if (req.seq >= 0) port.postMessage({ type: 'reply', seq: req.seq, ...extra })
    }
    try {
      switch (req.type) {
        case 'update':
          for (const u of req.updates ?? []) table.apply(u)
          reply()
          break
        case 'upstreams':
          resolver.setUpstreams(req.upstreams ?? [])
          reply()
          break
        case 'stats':
          reply({ stats: { ...resolver.stats } })
          break
        case 'sync':
          reply()
          break
        case 'stop':
          void resolver.stop().then(() => {
            reply()
            port.close()
          })
          break
      }
    } catch (err) {
      if (req.seq >= 0) port.postMessage({ type: 'error', seq: req.seq, error: errorOf(err) })
    }
  })
  port.postMessage({ type: 'ready', address: bound.address, port: bound.port })
}

main().catch((err: unknown) => {
  port.postMessage({ type: 'error', error: errorOf(err) })
  port.close()
})
