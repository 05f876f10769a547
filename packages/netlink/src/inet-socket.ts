/**
 * UDP and TCP sockets opened inside another network namespace from the calling thread:
 * setns → socket → bind (→ listen) → setns back, all synchronous, so no other JavaScript runs
 * while the thread is away. The fd keeps its namespace for life; hand it to Node with
 * `dgram.createSocket(type).bind({ fd })`, `net.createServer().listen({ fd })` or
 * `new net.Socket({ fd }).connect(...)`, which then own (and close) it.
 */
import { isIP } from 'node:net'
import { BadRequestError, IP } from '@libnetwork/types'
import { AF_INET, AF_INET6, SOCK_CLOEXEC, SOL_SOCKET } from './constants.js'
import { errnoError } from './errors.js'
import { libc } from './ffi.js'
import { type NetnsOptions, type NetnsRef, withNetns } from './netns.js'

export type InetSocketType = 'udp4' | 'udp6' | 'tcp4' | 'tcp6'

export interface InetSocketSpec {
  type: InetSocketType
  /** Bind to this IP literal (of the type's family). Omitted: an unbound socket, to connect. */
  address?: string
  /** Port to bind; 0 (the default) lets the kernel choose. Needs `address`. */
  port?: number
  /** TCP only: listen after binding (needs `address`). Default false. */
  listen?: boolean
  /** Listen backlog. Default 511, as Node's. */
  backlog?: number
}

const SOCK_STREAM = 1
const SOCK_DGRAM = 2
const SOCK_NONBLOCK = 0x800
const SO_REUSEADDR = 2

function bad(message: string, details: Record<string, unknown>): BadRequestError {
  return new BadRequestError('invalid-socket-spec', message, { details })
}

/** Validate a spec completely before any namespace is touched. */
function check(spec: InetSocketSpec): { family: number; sockaddr?: Buffer } {
  const type = spec?.type
  if (type !== 'udp4' && type !== 'udp6' && type !== 'tcp4' && type !== 'tcp6') {
    throw bad(`invalid socket type ${JSON.stringify(type)}: udp4, udp6, tcp4 or tcp6`, {
      type: String(type),
    })
  }
  const v6 = type.endsWith('6')
  const family = v6 ? AF_INET6 : AF_INET
  const { address, port = 0, listen = false, backlog = 511 } = spec
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw bad(`invalid port ${String(port)}: 0-65535`, { port })
  }
  if (!Number.isInteger(backlog) || backlog < 1 || backlog > 65535) {
    throw bad(`invalid backlog ${String(backlog)}: 1-65535`, { backlog })
  }
  if (listen && !type.startsWith('tcp')) throw bad('only TCP sockets listen', { type })
  if (address === undefined) {
    if (listen || port !== 0) throw bad('binding a port or listening needs an address', { type })
    return { family }
  }
  if (typeof address !== 'string' || isIP(address) !== (v6 ? 6 : 4)) {
    throw bad(`invalid ${v6 ? 'IPv6' : 'IPv4'} address ${JSON.stringify(address)} for ${type}`, {
      type,
      address: String(address),
    })
  }
  return { family, sockaddr: sockaddr(v6, address, port) }
}

function sockaddr(v6: boolean, address: string, port: number): Buffer {
  const bytes = Buffer.from(IP.parse(address).toBytes())
  const sa = Buffer.alloc(v6 ? 28 : 16)
  sa.writeUInt16LE(v6 ? AF_INET6 : AF_INET, 0)
  sa.writeUInt16BE(port, 2)
  bytes.copy(sa, v6 ? 8 : 4)
  return sa
}

/**
 * Open a UDP or TCP socket inside the network namespace `ref` (non-blocking, close-on-exec;
 * SO_REUSEADDR for bound TCP sockets), optionally bound and listening, and return its fd.
 * Bad specs throw BadRequestError before any namespace is entered; a namespace that is gone
 * throws NotFoundError; kernel failures throw the errno's typed error (EADDRINUSE →
 * ConflictError). On every error path the fd is closed and the thread is back home.
 */
export function openSocketInNetns(
  ref: NetnsRef,
  spec: InetSocketSpec,
  options: NetnsOptions = {},
): number {
  const { family, sockaddr: sa } = check(spec)
  const what = `${spec.type}${spec.address === undefined ? '' : ` ${spec.address}:${spec.port ?? 0}`}`
  return withNetns(ref, () => openHere(family, spec, sa, what), options)
}

function openHere(family: number, spec: InetSocketSpec, sa: Buffer | undefined, what: string) {
  const c = libc()
  const tcp = spec.type.startsWith('tcp')
  const fd = c.socket(family, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
  if (fd < 0) throw errnoError(c.errno(), `cannot open a ${spec.type} socket`, { type: spec.type })
  try {
    if (sa !== undefined) {
      if (tcp) {
        const one = Buffer.alloc(4)
        one.writeInt32LE(1)
        if (c.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, one, 4) !== 0) {
          throw errnoError(c.errno(), `cannot set SO_REUSEADDR on ${what}`, { type: spec.type })
        }
      }
      if (c.bind(fd, sa, sa.length) !== 0) {
        throw errnoError(c.errno(), `cannot bind ${what}`, {
          type: spec.type,
          address: spec.address,
          port: spec.port ?? 0,
        })
      }
      if (spec.listen === true && c.listen(fd, spec.backlog ?? 511) !== 0) {
        throw errnoError(c.errno(), `cannot listen on ${what}`, { type: spec.type })
      }
    }
    return fd
  } catch (err) {
    c.close(fd)
    throw err
  }
}
