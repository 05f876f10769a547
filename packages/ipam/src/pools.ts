/**
 * Predefined address pools, from which a pool is picked when a request names none, and the
 * small parsing helpers shared by the drivers.
 */
import { createHash } from 'node:crypto'
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

/**
 * The local IPv6 default pool of a host, as upstream's daemon derives it (Moby 27+): a ULA /48
 * (`fd` then a 40-bit global id, the low 40 bits of the first 8 bytes of SHA-256 of the host id)
 * split into /64s. Stable while the host id is; the empty id gives `fd42:98fc:1c14::/48`.
 */
export function ulaPool(hostId: string): PoolSpec {
  const gid = createHash('sha256').update(hostId).digest().readBigUInt64BE(0) & ((1n << 40n) - 1n)
  const hex = gid.toString(16).padStart(10, '0')
  const base = IPNet.parse(`fd${hex.slice(0, 2)}:${hex.slice(2, 6)}:${hex.slice(6)}::/48`)
  return { base, size: 64 }
}

/**
 * `specs` with the host's ULA pool (`ulaPool`) appended when none of them is IPv6, as upstream's
 * daemon does with its local default-address-pools: an IPv6 network needs no subnet.
 */
export function withUlaPool(specs: readonly PoolSpec[], hostId: string): readonly PoolSpec[] {
  // A malformed list is left to `resolveSpecs`, which says what is wrong.
  if (!Array.isArray(specs)) return specs
  const list: readonly PoolSpec[] = specs
  const v4mapped = IPNet.parse('::ffff:0:0/96')
  const hasV6 = list.some((s: PoolSpec | undefined) => {
    const b = s?.base
    const net = b instanceof IPNet ? b : typeof b === 'string' ? tryNet(b) : undefined
    return net !== undefined && net.version === 6 && !v4mapped.containsNet(net)
  })
  return hasV6 ? list : [...list, ulaPool(hostId)]
}

function tryNet(s: string): IPNet | undefined {
  try {
    return IPNet.parse(s)
  } catch {
    return undefined
  }
}

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
