/**
 * The pools of one address space: master pools (each with one address set) and the sub-pools
 * carved from them. Plain data with a JSON form, so a store can hold it.
 */
import { BadRequestError, IP, IPNet } from '@libnetwork/types'
import { IpamErrorCode } from './contract.js'

export interface MasterRecord {
  pool: IPNet
  /** `pool` as text (the map key), computed once. */
  key: string
  /** The pool itself was requested (its id was handed out), not only sub-pools of it. */
  own: boolean
  /** Sub-pools currently requested from it. */
  subs: number
  /** Generation: a fresh id each time the pool is created, naming its address set. */
  gen: string
}

export interface SubRecord {
  pool: IPNet
  sub: IPNet
}

export interface ParsedPoolId {
  space: string
  pool: IPNet
  sub: IPNet | undefined
  /** Canonical text of `pool`. */
  key: string
  /** Canonical pool id. */
  id: string
  /** Offsets (from the pool's network address) that non-preferred requests draw from. */
  lo: bigint
  hi: bigint
}

/**
 * Most offsets a request without a preferred address draws from: a pool (or sub-pool) larger
 * than 2^64 addresses hands out its first 2^64. Preferred addresses may lie anywhere in it.
 */
export const MAX_POOL_SIZE = 1n << 64n

export function poolIdOf(space: string, pool: IPNet, sub?: IPNet): string {
  return sub ? `${space}/${pool.toString()}/${sub.toString()}` : `${space}/${pool.toString()}`
}

/** Parse `<space>/<pool>[/<subPool>]`, memoised in `cache`. BadRequestError `invalid-pool-id`. */
export function parsePoolId(id: string, cache?: Map<string, ParsedPoolId>): ParsedPoolId {
  const hit = cache?.get(id)
  if (hit) return hit
  const bad = (cause?: unknown): never => {
    throw new BadRequestError(
      IpamErrorCode.invalidPoolId,
      `invalid pool id ${JSON.stringify(id)}: expected <address space>/<pool>[/<sub-pool>]`,
      { details: { poolId: String(id) }, cause },
    )
  }
  if (typeof id !== 'string') bad()
  const parts = id.split('/')
  if ((parts.length !== 3 && parts.length !== 5) || parts[0] === '') bad()
  let parsed: ParsedPoolId | undefined
  try {
    const space = parts[0]!
    const pool = IPNet.parse(`${parts[1]}/${parts[2]}`)
    const sub = parts.length === 5 ? IPNet.parse(`${parts[3]}/${parts[4]}`) : undefined
    let lo = 0n
    let hi = (pool.size > MAX_POOL_SIZE ? MAX_POOL_SIZE : pool.size) - 1n
    if (sub) {
      lo = sub.base - pool.base
      hi = lo + (sub.size > MAX_POOL_SIZE ? MAX_POOL_SIZE : sub.size) - 1n
    }
    parsed = { space, pool, sub, key: pool.toString(), id: poolIdOf(space, pool, sub), lo, hi }
  } catch (cause) {
    bad(cause)
  }
  if (cache) {
    if (cache.size > 10_000) cache.clear()
    cache.set(id, parsed!)
  }
  return parsed!
}

interface SpaceJSON {
  masters: Array<{ pool: string; own: boolean; subs: number; gen: string }>
  subs: Array<{ id: string; pool: string; sub: string }>
  /** The last predefined pool handed out, per IP version (absent in older records). */
  last?: string[]
}

function lastOf(net: IPNet): bigint {
  return net.base + net.size - 1n
}

export class SpaceState {
  /** Read-only view; change through addMaster / deleteMaster. */
  readonly masters = new Map<string, MasterRecord>()
  readonly subs = new Map<string, SubRecord>()
  /**
   * The last predefined pool handed out, per IP version: the next search starts after it, so a
   * released pool is not handed out again at once (upstream's predefinedStartIndex).
   */
  readonly last = new Map<number, IPNet>()
  /** Master pools ordered by (version, base). They never overlap, so their ends are ordered too. */
  private readonly ordered: MasterRecord[] = []

  /** Index of the first master at or after (version, base). */
  private lowerBound(version: number, base: bigint): number {
    const a = this.ordered
    let lo = 0
    let hi = a.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const p = a[mid]!.pool
      if (p.version < version || (p.version === version && p.base < base)) lo = mid + 1
      else hi = mid
    }
    return lo
  }

  addMaster(m: MasterRecord): void {
    this.masters.set(m.key, m)
    this.ordered.splice(this.lowerBound(m.pool.version, m.pool.base), 0, m)
  }

  deleteMaster(key: string): void {
    const m = this.masters.get(key)
    if (!m) return
    this.masters.delete(key)
    this.ordered.splice(this.lowerBound(m.pool.version, m.pool.base), 1)
  }

  /** The master pool overlapping `net`, if any: O(log pools). */
  overlapping(net: IPNet): MasterRecord | undefined {
    const i = this.lowerBound(net.version, net.base)
    const next = this.ordered[i]
    if (next && next.pool.version === net.version && next.pool.base <= lastOf(net)) return next
    const prev = this.ordered[i - 1]
    if (prev && prev.pool.version === net.version && lastOf(prev.pool) >= net.base) return prev
    return undefined
  }

  /**
   * The first subnet of `base` with prefix `size`, at or after address `from`, that overlaps no
   * master pool, or undefined. Jumps past each master in its way, so the cost follows the pools
   * in `base`, not its subnets.
   */
  firstFree(base: IPNet, size: number, from?: bigint): IPNet | undefined {
    const v = base.version
    const step = 1n << BigInt(base.bits - size)
    const end = lastOf(base)
    const align = (x: bigint) => base.base + ((x - base.base + step - 1n) / step) * step
    let pos = from !== undefined && from > base.base ? align(from) : base.base
    let i = this.lowerBound(v, pos)
    const prev = this.ordered[i - 1]
    if (prev && prev.pool.version === v && lastOf(prev.pool) >= pos)
      pos = align(lastOf(prev.pool) + 1n)
    while (pos <= end) {
      let m = this.ordered[i]
      while (m && m.pool.version === v && lastOf(m.pool) < pos) m = this.ordered[++i]
      if (!m || m.pool.version !== v || m.pool.base > pos + step - 1n) {
        return IPNet.of(IP.fromBigInt(pos, v), size)
      }
      pos = align(lastOf(m.pool) + 1n)
      i++
    }
    return undefined
  }

  encode(): Uint8Array {
    const json: SpaceJSON = {
      masters: [...this.masters.values()].map((m) => ({
        pool: m.pool.toString(),
        own: m.own,
        subs: m.subs,
        gen: m.gen,
      })),
      subs: [...this.subs].map(([id, s]) => ({
        id,
        pool: s.pool.toString(),
        sub: s.sub.toString(),
      })),
    }
    if (this.last.size > 0) json.last = [...this.last.values()].map((n) => n.toString())
    return new TextEncoder().encode(JSON.stringify(json))
  }

  static decode(bytes: Uint8Array): SpaceState {
    const out = new SpaceState()
    try {
      const json = JSON.parse(new TextDecoder().decode(bytes)) as SpaceJSON
      for (const m of json.masters) {
        const pool = IPNet.parse(m.pool)
        const key = pool.toString()
        if (out.overlapping(pool)) throw new Error(`pool ${key} overlaps another`)
        out.addMaster({ pool, key, own: !!m.own, subs: Number(m.subs), gen: String(m.gen) })
      }
      for (const s of json.subs) {
        out.subs.set(String(s.id), { pool: IPNet.parse(s.pool), sub: IPNet.parse(s.sub) })
      }
      for (const l of json.last ?? []) {
        const net = IPNet.parse(l)
        out.last.set(net.version, net)
      }
    } catch (cause) {
      throw new BadRequestError('invalid-space-state', 'invalid stored address space state', {
        cause,
      })
    }
    return out
  }
}
