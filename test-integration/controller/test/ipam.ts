// A plain in-memory IPAM for the integration tests until @libnetwork/ipam is published.
import { ConflictError, IPNet, InterfaceAddress, UnavailableError } from '@libnetwork/types'
import type { Ipam } from '@libnetwork/controller'

export function simpleIpam(): Ipam & { allocated(): number } {
  const pools = new Map<string, { pool: IPNet; sub?: IPNet; used: Set<bigint> }>()
  let next = 0
  return {
    type: 'simple',
    allocated: () => [...pools.values()].reduce((n, p) => n + p.used.size, 0) + pools.size,
    async requestPool(req) {
      let pool = req.pool
      for (let i = 0; !pool; i++) {
        const cand = IPNet.parse(`172.${20 + ((next + i) % 10)}.0.0/16`)
        if (![...pools.values()].some((p) => p.pool.overlaps(cand))) pool = cand
        if (i > 10) throw new UnavailableError('no-available-pool', 'no pool left')
      }
      for (const p of pools.values())
        if (p.pool.overlaps(pool))
          throw new ConflictError('pool-overlap', `${pool.toString()} overlaps`)
      const poolId = `local/${pool.toString()}`
      pools.set(poolId, { pool, sub: req.subPool, used: new Set() })
      next++
      return { poolId, pool }
    },
    async releasePool(poolId) {
      pools.delete(poolId)
    },
    async requestAddress(poolId, req) {
      const p = pools.get(poolId)!
      if (req?.preferred) {
        const off = p.pool.offsetOf(req.preferred)
        if (p.used.has(off))
          throw new ConflictError('address-in-use', `${req.preferred.toString()} in use`)
        p.used.add(off)
        return InterfaceAddress.of(req.preferred, p.pool.prefix)
      }
      const range = p.sub ?? p.pool
      const start = p.pool.offsetOf(range.ip)
      for (let i = start === 0n ? 1n : 0n; i < range.size; i++) {
        const off = start + i
        if (off >= p.pool.size - 1n) break
        if (!p.used.has(off)) {
          p.used.add(off)
          return InterfaceAddress.of(p.pool.at(off), p.pool.prefix)
        }
      }
      throw new UnavailableError('no-available-address', 'pool exhausted')
    },
    async releaseAddress(poolId, ip) {
      const p = pools.get(poolId)
      p?.used.delete(p.pool.offsetOf(ip))
    },
  }
}
