/**
 * The link reaper's thread: deletes one link at a time inside the namespace the main thread
 * holds open for it. Deleting a device blocks the calling thread for the kernel's RCU grace
 * periods (~25-40 ms); here that wait costs the main thread nothing.
 */
import { parentPort } from 'node:worker_threads'
import { Netlink } from '@libnetwork/netlink'
import { LibnetworkError } from '@libnetwork/types'

export interface ReapRequest {
  seq: number
  /** An fd of the link's namespace, kept open by the main thread until the reply. */
  fd: number
  index: number
}

export interface ReapReply {
  seq: number
  error?: { code: string; category: string; message: string }
}

// Netlink sockets are opened through libc and closed through node:fs, which a worker thread
// reports as "closed but not opened in unmanaged mode"; that warning is expected here.
const printers = process.listeners('warning')
process.removeAllListeners('warning')
process.on('warning', (w) => {
  if (!/not opened in unmanaged mode/.test(w.message)) for (const p of printers) p(w)
})

parentPort?.on('message', (req: ReapRequest) => {
  const reply: ReapReply = { seq: req.seq }
  try {
    const nl = Netlink.open({ netns: { fd: req.fd } })
    try {
      nl.deleteLink(req.index)
    } finally {
      nl.close()
    }
  } catch (err) {
    const e = LibnetworkError.isInstance(err) ? err : undefined
    reply.error = {
      code: e?.code ?? 'reap-failed',
      category: e?.category ?? 'internal',
      message: err instanceof Error ? err.message : String(err),
    }
  }
  parentPort!.postMessage(reply)
})
