/**
 * The pools of one address space: master pools (each with one address set) and the sub-pools
 * carved from them. Plain data with a JSON form, so a store can hold it.
 */
import { BadRequestError, IPNet } from '@libnetwork/types'
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

/** Most offsets a pool uses: pools larger than 2^64 addresses use their first 2^64. */
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
      if (lo + sub.size - 1n < hi) hi = lo + sub.size - 1n
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
}

export class SpaceState {
  readonly masters = new Map<string, MasterRecord>()
  readonly subs = new Map<string, SubRecord>()

  /** The master pool overlapping `net`, if any. */
  overlapping(net: IPNet): MasterRecord | undefined {
    for (const m of this.masters.values()) if (m.pool.overlaps(net)) return m
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
    return new TextEncoder().encode(JSON.stringify(json))
  }

  static decode(bytes: Uint8Array): SpaceState {
    const out = new SpaceState()
    try {
      const json = JSON.parse(new TextDecoder().decode(bytes)) as SpaceJSON
      for (const m of json.masters) {
        const pool = IPNet.parse(m.pool)
        const key = pool.toString()
        out.masters.set(key, { pool, key, own: !!m.own, subs: Number(m.subs), gen: String(m.gen) })
      }
      for (const s of json.subs) {
        out.subs.set(String(s.id), { pool: IPNet.parse(s.pool), sub: IPNet.parse(s.sub) })
      }
    } catch (cause) {
      throw new BadRequestError('invalid-space-state', 'invalid stored address space state', {
        cause,
      })
    }
    return out
  }
}
