/**
 * The resolver's sockets: made by Node in the calling thread's namespace, or adopted from file
 * descriptors an injected factory opened elsewhere (e.g. inside a sandbox's network namespace,
 * with `@libnetwork/netlink`'s `openSocketInNetns`). A socket keeps its namespace for life,
 * whichever thread serves it. An fd is closed on every path where Node did not take it over.
 */
import { createSocket, type Socket } from 'node:dgram'
import { closeSync, fstatSync } from 'node:fs'
import { createServer, Socket as TCPSocket, type Server } from 'node:net'
import { BadRequestError, LibnetworkError } from '@libnetwork/types'
import { literalLookup } from './lookup.js'
import { bindError } from './options.js'

export type SocketType = 'udp4' | 'udp6' | 'tcp4' | 'tcp6'

/**
 * What the resolver asks a socket factory for:
 * - its listeners: `{ type: 'udp4', address, port }` and `{ type: 'tcp4', address, port, listen: true }`;
 * - its forwarding sockets: `{ type: 'udp4', address: '0.0.0.0' }`, `{ type: 'udp6', address: '::' }`;
 * - one unbound `{ type: 'tcp4' | 'tcp6' }` per query forwarded over TCP (Node connects it).
 */
export interface SocketSpec {
  type: SocketType
  /** Bind to this IP literal; omitted: an unbound socket, to connect. */
  address?: string
  /** Port to bind (0: any). */
  port?: number
  /** TCP: bound and listening. */
  listen?: boolean
}

/**
 * Returns the fd of a new non-blocking socket as `spec` describes; the resolver owns it from
 * then on (Node closes it). Throws to refuse (typed errors pass through unchanged).
 */
export type SocketFactory = (spec: SocketSpec) => number

function closeQuietly(fd: number): void {
  try {
    closeSync(fd)
  } catch {
    // already closed
  }
}

function fromFactory(open: SocketFactory, spec: SocketSpec): number {
  let fd: unknown
  try {
    fd = open(spec)
  } catch (err) {
    if (LibnetworkError.isInstance(err)) throw err
    throw bindError(err, spec.address ?? '', spec.port ?? 0)
  }
  if (typeof fd !== 'number' || !Number.isInteger(fd) || fd <= 0) {
    throw new BadRequestError('invalid-socket-fd', `the socket factory returned ${String(fd)}`, {
      details: { type: spec.type },
    })
  }
  let socket = false
  try {
    socket = fstatSync(fd).isSocket()
  } catch {
    // not an open fd
  }
  if (!socket) {
    closeQuietly(fd)
    throw new BadRequestError(
      'invalid-socket-fd',
      `fd ${fd} from the socket factory is no socket`,
      {
        details: { type: spec.type, fd },
      },
    )
  }
  return fd
}

/** A bound UDP socket (made here, or adopted from the factory). */
export async function bindUDP(
  type: 'udp4' | 'udp6',
  address: string,
  port: number,
  open?: SocketFactory,
): Promise<Socket> {
  const udp = createSocket({ type, lookup: literalLookup })
  if (open !== undefined) {
    const fd = fromFactory(open, { type, address, port })
    try {
      // Adopting an fd is synchronous; a throw means Node did not take it.
      await new Promise<void>((resolve) => udp.bind({ fd }, resolve))
    } catch (err) {
      closeQuietly(fd)
      udp.close()
      throw bindError(err, address, port)
    }
    return udp
  }
  try {
    await new Promise<void>((resolve, reject) => {
      udp.once('error', reject)
      udp.bind(port, address, () => {
        udp.off('error', reject)
        resolve()
      })
    })
  } catch (err) {
    udp.close()
    throw bindError(err, address, port)
  }
  return udp
}

/** A listening TCP server (made here, or adopted from the factory). */
export async function listenTCP(
  address: string,
  port: number,
  onConnection: (sock: TCPSocket) => void,
  open?: SocketFactory,
): Promise<Server> {
  const tcp = createServer(onConnection)
  const fd =
    open === undefined
      ? undefined
      : fromFactory(open, {
          type: address.includes(':') ? 'tcp6' : 'tcp4',
          address,
          port,
          listen: true,
        })
  try {
    await new Promise<void>((resolve, reject) => {
      tcp.once('error', reject)
      const done = () => {
        tcp.off('error', reject)
        resolve()
      }
      if (fd === undefined) tcp.listen({ port, host: address, exclusive: true }, done)
      else tcp.listen({ fd }, done)
    })
  } catch (err) {
    // Node only fails to take over an fd it cannot wrap (EINVAL); otherwise it closed it.
    if (fd !== undefined && (err as NodeJS.ErrnoException).code === 'EINVAL') closeQuietly(fd)
    tcp.close()
    throw bindError(err, address, port)
  }
  return tcp
}

/**
 * A TCP connection to `host:port`: Node's own, or a factory socket Node connects. Factory
 * failures surface as an 'error' event, like a refused connection.
 */
export function connectTCP(host: string, port: number, open?: SocketFactory): TCPSocket {
  if (open === undefined) return new TCPSocket().connect({ host, port })
  let fd: number | undefined
  try {
    fd = fromFactory(open, { type: host.includes(':') ? 'tcp6' : 'tcp4' })
    const sock = new TCPSocket({ fd, readable: true, writable: true })
    fd = undefined // Node owns it now
    return sock.connect({ host, port })
  } catch (err) {
    if (fd !== undefined) closeQuietly(fd)
    const sock = new TCPSocket()
    process.nextTick(() => sock.destroy(err as Error))
    return sock
  }
}
