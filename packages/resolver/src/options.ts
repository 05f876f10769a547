/** Validation of resolver options, and listen errors as typed errors. */
import { isIP } from 'node:net'
import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  IP,
  UnavailableError,
} from '@libnetwork/types'

// The option types live here, the leaf the server, forwarder and sockets modules import, so
// no module imports back the one that imports it.

/** An upstream DNS server as a caller names it. */
export interface UpstreamServer {
  address: IP | string
  /** Default 53. */
  port?: number
}

/** An upstream DNS server after validation: a canonical address and a port. */
export interface Upstream {
  address: string
  port: number
}

export function toUpstreams(list: (UpstreamServer | IP | string)[]): Upstream[] {
  if (!Array.isArray(list) || list.length > 3) {
    throw new BadRequestError('too-many-upstreams', 'at most 3 upstream DNS servers are used', {
      details: { count: Array.isArray(list) ? list.length : 0 },
    })
  }
  return list.map((u) => {
    const s = typeof u === 'string' || u instanceof IP ? { address: u } : u
    const address = s.address instanceof IP ? s.address.toString() : s.address
    const port = s.port ?? 53
    if (typeof address !== 'string' || isIP(address) === 0) {
      throw new BadRequestError('invalid-upstream', `invalid upstream address ${String(address)}`, {
        details: { address: String(address) },
      })
    }
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new BadRequestError('invalid-upstream', `invalid upstream port ${port}`, {
        details: { port },
      })
    }
    return { address: IP.parse(address).toString(), port }
  })
}

export function checkInt(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new BadRequestError('invalid-option', `${name} must be an integer in ${min}-${max}`, {
      details: { name, value },
    })
  }
  return value
}

export function bindError(err: unknown, address: string, port: number): Error {
  const code = (err as NodeJS.ErrnoException).code
  const details = { address, port }
  const msg = `cannot listen on ${address}:${port}: ${(err as Error).message}`
  if (code === 'EADDRINUSE')
    return new ConflictError('address-in-use', msg, { details, cause: err })
  if (code === 'EACCES') return new ForbiddenError('listen-denied', msg, { details, cause: err })
  return new UnavailableError('listen-failed', msg, { details, cause: err })
}
