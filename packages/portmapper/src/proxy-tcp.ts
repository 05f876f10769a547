// One relayed TCP connection of the userland proxy: client <-> backend.
//
// Every connection starts with the copying relay (Node streams, pipe()), which answers small
// request/response traffic with the least latency. Once a connection has carried BULK_BYTES in
// full reads (BULK_READ or more at once: the sender is ahead of the relay, so bytes queue in the
// kernel), it moves to the kernel relay (splice): both sockets stop reading, what Node already
// read is written on and flushed into the kernel, and from then on the bytes go socket to socket
// without entering JavaScript. Small messages (a ping-pong, a chatty protocol) never count, so
// such a connection stays on the copying relay however long it lives: on the kernel relay every
// message would pay a hand-off to and from the thread that waits for events. A connection that
// has seen an EOF or an error stays with the copying relay.
import type net from 'node:net'
import type { KernelRelay } from './splice.js'

/** Bytes in full reads a connection carries (both directions) before it moves to the kernel relay. */
export const BULK_BYTES = 1 << 20
/** A read this large is a full one (a socket read returns at most 64 KiB). */
export const BULK_READ = 32 << 10

type Internal = net.Socket & {
  _handle?: { reading?: boolean; readStop?(): number } | null
  _readableState: { ended: boolean; reading: boolean }
  _read(size: number): void
}

/**
 * Stop Node reading from a socket for good: pause() alone lets it fill its buffer first, and a
 * read scheduled for later (stream internals do) would start the handle reading again.
 */
function stopReading(s: net.Socket): void {
  const i = s as Internal
  i._read = () => undefined
  const h = i._handle
  if (h?.reading && h.readStop) {
    h.reading = false
    h.readStop()
  }
}

/** Undo stopReading (the copying relay goes on). */
function allowReading(s: net.Socket): void {
  const i = s as Internal
  delete (i as Partial<Internal>)._read
  i._readableState.reading = false
}

/** Both directions still open and healthy: nothing was ended, nothing failed. */
function intact(s: net.Socket): boolean {
  return !s.destroyed && !(s as Internal)._readableState.ended && !s.writableEnded
}

/** Resolves once everything written to `s` so far is in the kernel. */
function flushed(s: net.Socket): Promise<void> {
  return new Promise((resolve) => {
    if (s.destroyed) return resolve()
    s.write(Buffer.alloc(0), () => resolve())
  })
}

/**
 * Relay `client` <-> `backend` (allowHalfOpen on both). `onPair(id)` hears when the kernel relay
 * takes the pair over (and `onPair(id, true)` when it lets go); errors destroy both sockets.
 */
export function relayTcp(
  client: net.Socket,
  backend: net.Socket,
  relay: KernelRelay,
  onPair: (id: number, ended?: boolean) => void,
): void {
  const kill = () => {
    client.destroy()
    backend.destroy()
  }
  client.on('error', kill)
  backend.on('error', kill)
  // pipe() ends the other side when one side ends: a half-close travels through
  client.pipe(backend)
  backend.pipe(client)
  if (!relay.usable) return
  let carried = 0
  const count = (chunk: Buffer) => {
    if (chunk.length < BULK_READ) return
    carried += chunk.length
    if (carried >= BULK_BYTES) void toKernel()
  }
  client.on('data', count)
  backend.on('data', count)

  const toKernel = async () => {
    client.off('data', count)
    backend.off('data', count)
    if (!intact(client) || !intact(backend) || backend.connecting) return
    client.unpipe(backend)
    backend.unpipe(client)
    for (const s of [client, backend]) {
      s.pause()
      stopReading(s)
    }
    // what Node read already goes on through Node
    for (const [from, to] of [
      [client, backend],
      [backend, client],
    ] as const) {
      const rest = from.readableLength > 0 ? (from.read() as Buffer | null) : null
      if (rest) to.write(rest)
    }
    await Promise.all([flushed(client), flushed(backend)])
    if (!intact(client) || !intact(backend)) return kill()
    let ended = false
    const id = relay.relay(client, backend, () => {
      ended = true
      if (id !== undefined) onPair(id, true)
      // both directions ended, or an error ended the pair: close both, as kill does
      kill()
    })
    if (id === undefined) {
      // no kernel relay after all: copy on
      allowReading(client)
      allowReading(backend)
      client.pipe(backend)
      backend.pipe(client)
    } else if (!ended) onPair(id)
  }
}
