/**
 * Predefined address pools, from which a pool is picked when a request names none, and the
 * small parsing helpers shared by the drivers.
 */
import { BadRequestError, IP, IPNet } from '@libnetwork/types'
import { IpamErrorCode } from './contract.js'

/** A base network split into networks of `size` bits of prefix (upstream's PredefinedPool). */
export interface PoolSpec {
  base: IPNet | string
  size: number
}

/** Upstream's local defaults: 172.17-19/16, 172.20/14, 172.24/14, 172.28/14 as /16s, then 192.168/16 as /20s. */
export const DEFAULT_LOCAL_POOLS: readonly PoolSpec[] = Object.freeze([
  { base: '172.17.0.0/16', size: 16 },
  { base: '172.18.0.0/16', size: 16 },
  { base: '172.19.0.0/16', size: 16 },
  { base: '172.20.0.0/14', size: 16 },
  { base: '172.24.0.0/14', size: 16 },
  { base: '172.28.0.0/14', size: 16 },
  { base: '192.168.0.0/16', size: 20 },
])

/** Upstream's global default: 10.0.0.0/8 as /24s. */
export const DEFAULT_GLOBAL_POOLS: readonly PoolSpec[] = Object.freeze([
  { base: '10.0.0.0/8', size: 24 },
])

export interface ResolvedPoolSpec {
  base: IPNet
  size: number
}

export function resolveSpecs(specs: readonly PoolSpec[], which: string): ResolvedPoolSpec[] {
  if (!Array.isArray(specs)) {
    throw new BadRequestError(IpamErrorCode.invalidPool, `default pools for ${which}: not a list`)
  }
  return (specs as readonly PoolSpec[]).map((s: PoolSpec | undefined, i) => {
    const base = toNet(s?.base, IpamErrorCode.invalidPool, `default pool ${i} of ${which}`)
    const size = s!.size
    if (!Number.isInteger(size) || size < base.prefix || size > base.bits) {
      throw new BadRequestError(
        IpamErrorCode.invalidPool,
        `default pool ${i} of ${which}: cannot split ${base.toString()} into /${String(size)}`,
        { details: { base: base.toString(), size: String(size) } },
      )
    }
    return { base, size }
  })
}

export function toNet(v: unknown, code: string, what: string): IPNet {
  if (v instanceof IPNet) return v
  // An IPNet from another copy of @libnetwork/types: go through its text form.
  if (typeof v === 'object' && v !== null && 'prefix' in v && 'base' in v) v = text(v)
  if (typeof v === 'string') {
    try {
      return IPNet.parse(v)
    } catch (cause) {
      throw new BadRequestError(code, `${what}: ${(cause as Error).message}`, {
        details: { value: v },
        cause,
      })
    }
  }
  throw new BadRequestError(code, `${what}: expected a CIDR string or IPNet`, {
    details: { value: typeof v },
  })
}

export function toIP(v: unknown, what: string): IP {
  if (v instanceof IP) return v
  if (typeof v === 'object' && v !== null && 'value' in v && 'version' in v) v = text(v)
  if (typeof v === 'string') {
    try {
      return IP.parse(v)
    } catch (cause) {
      throw new BadRequestError(
        IpamErrorCode.invalidAddress,
        `${what}: ${(cause as Error).message}`,
        {
          details: { value: v },
          cause,
        },
      )
    }
  }
  throw new BadRequestError(IpamErrorCode.invalidAddress, `${what}: expected an IP or a string`, {
    details: { value: typeof v },
  })
}

function text(v: object): string {
  return (v as { toString(): string }).toString()
}
