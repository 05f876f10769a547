/**
 * The default IPAM driver: address spaces `local` and `global`, predefined pools, explicit
 * pools with sub-pools, IPv4 and IPv6 addresses. Pure allocation logic; state lives in memory
 * or in an injected IpamStore (see backend.ts).
 */
import {
  BadRequestError,
  ConflictError,
  IP,
  InterfaceAddress,
  NotFoundError,
  UnavailableError,
} from '@libnetwork/types'
import type { IPNet } from '@libnetwork/types'
import { AddressSet } from './address-set.js'
import { MemoryBackend, StoreBackend } from './backend.js'
import type { Backend } from './backend.js'
import {
  DEFAULT_IPAM,
  GLOBAL_ADDRESS_SPACE,
  IpamErrorCode,
  LOCAL_ADDRESS_SPACE,
  SERIAL_OPTION,
} from './contract.js'
import type {
  AddressRequest,
  DefaultAddressSpaces,
  IpamCapabilities,
  IpamDriver,
  IpamStore,
  PoolAllocation,
  PoolRequest,
} from './contract.js'
import {
  DEFAULT_GLOBAL_POOLS,
  DEFAULT_LOCAL_POOLS,
  resolveSpecs,
  toIP,
  toNet,
  withUlaPool,
} from './pools.js'
import type { PoolSpec, ResolvedPoolSpec } from './pools.js'
import { parsePoolId, poolIdOf } from './space.js'
import type { MasterRecord, ParsedPoolId, SpaceState } from './space.js'

export interface DefaultIpamOptions {
  /** Replace the predefined pools of an address space (upstream's default-address-pools). */
  defaultPools?: { local?: readonly PoolSpec[]; global?: readonly PoolSpec[] }
  /**
   * The host's id, from which the local space's IPv6 default pool is derived (`ulaPool`) when
   * its pools have no IPv6 one, as upstream's daemon does. Default `''` (`fd42:98fc:1c14::/48`).
   */
  hostId?: string
  /** Keep pools and address sets in this store, with compare-and-swap. Default: memory. */
  store?: IpamStore
  /** Key prefix in the store. Default `ipam/v1`. */
  storePrefix?: string
  /** Compare-and-swap attempts before a RetryError `too-many-retries`. Default 100. */
  maxAttempts?: number
}

/** Network (and for IPv4 broadcast) addresses are never handed out, as upstream. */
function reserved(net: IPNet, offset: bigint): boolean {
  if (net.version === 4) {
    if (net.prefix >= 31) return false
    return offset === 0n || offset === net.size - 1n
  }
  return offset === 0n
}

function freshSet(net: IPNet): AddressSet {
  const set = new AddressSet(net.size)
  if (net.version === 6 || net.prefix < 31) set.add(0n)
  if (net.version === 4 && net.prefix < 31) set.add(net.size - 1n)
  return set
}

function newGen(): string {
  return Math.floor(Math.random() * 2 ** 48)
    .toString(36)
    .padStart(10, '0')
}

/** The record of a requested pool id, or NotFoundError `pool-not-found`. */
function checkPool(s: SpaceState, id: ParsedPoolId, poolId: string): MasterRecord {
  const m = s.masters.get(id.key)
  if (!m || (id.sub ? !s.subs.has(id.id) : !m.own)) poolNotFound(poolId)
  return m
}

function noAddress(id: ParsedPoolId, poolId: string): never {
  throw new UnavailableError(
    IpamErrorCode.noAvailableAddress,
    `no available address in ${(id.sub ?? id.pool).toString()}`,
    { details: { poolId } },
  )
}

function poolNotFound(poolId: string): never {
  throw new NotFoundError(IpamErrorCode.poolNotFound, `address pool ${poolId} not found`, {
    details: { poolId },
  })
}

export class DefaultIpam implements IpamDriver {
  readonly type = DEFAULT_IPAM
  private readonly backend: Backend
  private readonly pools: Record<string, ResolvedPoolSpec[]>
  private readonly ids = new Map<string, ParsedPoolId>()

  constructor(options: DefaultIpamOptions = {}) {
    this.pools = {
      [LOCAL_ADDRESS_SPACE]: resolveSpecs(
        withUlaPool(options.defaultPools?.local ?? DEFAULT_LOCAL_POOLS, options.hostId ?? ''),
        LOCAL_ADDRESS_SPACE,
      ),
      [GLOBAL_ADDRESS_SPACE]: resolveSpecs(
        options.defaultPools?.global ?? DEFAULT_GLOBAL_POOLS,
        GLOBAL_ADDRESS_SPACE,
      ),
    }
    this.backend = options.store
      ? new StoreBackend(
          options.store,
          options.storePrefix ?? 'ipam/v1',
          options.maxAttempts ?? 100,
        )
      : new MemoryBackend()
  }

  async getDefaultAddressSpaces(): Promise<DefaultAddressSpaces> {
    return { local: LOCAL_ADDRESS_SPACE, global: GLOBAL_ADDRESS_SPACE }
  }

  capabilities(): IpamCapabilities {
    return { requiresMACAddress: false, requiresRequestReplay: false }
  }

  private space(name: unknown): string {
    const space = name ?? LOCAL_ADDRESS_SPACE
    if (typeof space !== 'string' || !(space in this.pools)) {
      throw new BadRequestError(
        IpamErrorCode.invalidAddressSpace,
        `unknown address space ${JSON.stringify(space)} (known: ${Object.keys(this.pools).join(', ')})`,
        { details: { addressSpace: typeof space === 'string' ? space : typeof space } },
      )
    }
    return space
  }

  async requestPool(req: PoolRequest = {}): Promise<PoolAllocation> {
    const space = this.space(req.addressSpace)
    const pool = req.pool ? toNet(req.pool, IpamErrorCode.invalidPool, 'pool') : undefined
    const sub = req.subPool
      ? toNet(req.subPool, IpamErrorCode.invalidSubPool, 'sub-pool')
      : undefined
    if (pool && req.v6 !== undefined && (pool.version === 6) !== req.v6) {
      throw new BadRequestError(
        IpamErrorCode.invalidPool,
        `pool ${pool.toString()} is not an IPv${req.v6 ? 6 : 4} network`,
        { details: { pool: pool.toString() } },
      )
    }
    if (sub && !pool) {
      throw new BadRequestError(IpamErrorCode.invalidSubPool, 'a sub-pool needs a pool', {
        details: { subPool: sub.toString() },
      })
    }
    if (sub && pool && !pool.containsNet(sub)) {
      throw new BadRequestError(
        IpamErrorCode.invalidSubPool,
        `sub-pool ${sub.toString()} is not inside pool ${pool.toString()}`,
        { details: { pool: pool.toString(), subPool: sub.toString() } },
      )
    }
    const version = req.v6 ? 6 : 4
    return this.backend.space(
      space,
      (s) => {
        const net = pool ?? this.pick(s, space, version)
        this.addPool(s, space, net, sub)
        if (!pool) s.last.set(version, net)
        return { value: { poolId: poolIdOf(space, net, sub), pool: net, meta: {} }, changed: true }
      },
      req.signal,
    )
  }

  /**
   * The first free predefined pool of `version`, searching after the last one handed out and
   * then from the start, as upstream does: a released pool comes back only once the later ones
   * are taken.
   */
  private pick(s: SpaceState, space: string, version: 4 | 6): IPNet {
    const specs = this.pools[space]!.filter((p) => p.base.version === version)
    const last = s.last.get(version)
    const at = last
      ? specs.findIndex((p) => p.size === last.prefix && p.base.containsNet(last))
      : -1
    if (at >= 0) {
      for (let i = at; i < specs.length; i++) {
        const from = i === at ? last!.base + last!.size : undefined
        const free = s.firstFree(specs[i]!.base, specs[i]!.size, from)
        if (free) return free
      }
    }
    for (const spec of specs) {
      const free = s.firstFree(spec.base, spec.size)
      if (free) return free
    }
    throw new UnavailableError(
      IpamErrorCode.noAvailablePool,
      `no available IPv${version} pool in address space ${space}`,
      { details: { addressSpace: space, version } },
    )
  }

  /** Validate, then record the pool (and sub-pool) in `s`. */
  private addPool(s: SpaceState, space: string, pool: IPNet, sub: IPNet | undefined): void {
    const key = pool.toString()
    const m = s.masters.get(key)
    const overlap = (other: IPNet, why: string): never => {
      throw new ConflictError(IpamErrorCode.poolOverlap, why, {
        details: { addressSpace: space, pool: key, existing: other.toString() },
      })
    }
    if (!sub) {
      if (m) overlap(m.pool, `pool ${key} is already allocated in address space ${space}`)
      const o = s.overlapping(pool)
      if (o) overlap(o.pool, `pool ${key} overlaps ${o.pool.toString()} in address space ${space}`)
      s.addMaster({ pool, key, own: true, subs: 0, gen: newGen() })
      return
    }
    const id = poolIdOf(space, pool, sub)
    if (s.subs.has(id)) overlap(sub, `sub-pool ${sub.toString()} of ${key} is already allocated`)
    if (m) m.subs++
    else {
      const o = s.overlapping(pool)
      if (o) overlap(o.pool, `pool ${key} overlaps ${o.pool.toString()} in address space ${space}`)
      s.addMaster({ pool, key, own: false, subs: 1, gen: newGen() })
    }
    s.subs.set(id, { pool, sub })
  }

  async releasePool(poolId: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    const id = parsePoolId(poolId, this.ids)
    const space = this.space(id.space)
    const dropped = await this.backend.space(
      space,
      (s) => {
        const key = id.key
        const m = s.masters.get(key)
        if (!m) poolNotFound(poolId)
        if (id.sub) {
          if (!s.subs.has(id.id)) poolNotFound(poolId)
          s.subs.delete(id.id)
          m.subs--
        } else {
          if (!m.own) poolNotFound(poolId)
          m.own = false
        }
        if (m.own || m.subs > 0) return { value: undefined, changed: true }
        s.deleteMaster(key)
        return { value: m, changed: true }
      },
      opts.signal,
    )
    if (dropped) await this.backend.dropAddresses(space, dropped, opts.signal)
  }

  /** The pool's record, checking that `poolId` was handed out and is still allocated. */
  private resolve(
    id: ParsedPoolId,
    poolId: string,
    signal: AbortSignal | undefined,
  ): MasterRecord | Promise<MasterRecord> {
    if (!(id.space in this.pools)) poolNotFound(poolId)
    return this.backend.space(
      id.space,
      (s) => ({ value: checkPool(s, id, poolId), changed: false }),
      signal,
    )
  }

  private offsetIn(net: IPNet, ip: IP, poolId: string): bigint {
    if (!net.contains(ip)) {
      throw new BadRequestError(
        IpamErrorCode.addressOutOfRange,
        `address ${ip.toString()} is outside pool ${net.toString()}`,
        { details: { poolId, address: ip.toString() } },
      )
    }
    return ip.value - net.base
  }

  /**
   * Allocate an address: `preferred` if given (anywhere in the pool), else the first free one
   * of the pool or sub-pool (`serial`: after the last one handed out). Accepts the upstream
   * positional form `requestAddress(poolId, preferred, { serial })` too.
   */
  async requestAddress(
    poolId: string,
    req?: AddressRequest | IP | string,
    opts: AddressRequest = {},
  ): Promise<InterfaceAddress> {
    const r: AddressRequest =
      req === undefined
        ? opts
        : typeof req === 'string' || req instanceof IP || 'version' in req
          ? { ...opts, preferred: req as IP | string }
          : req
    const preferred = r.preferred !== undefined ? toIP(r.preferred, 'preferred address') : undefined
    const serial = r.serial ?? r.options?.[SERIAL_OPTION] === 'true'
    const id = parsePoolId(poolId, this.ids)
    const mem = this.backend
    if (!preferred && mem instanceof MemoryBackend && id.space in this.pools) {
      // Fast path: memory state read directly, no step closures.
      r.signal?.throwIfAborted()
      const m = checkPool(mem.state(id.space), id, poolId)
      const net = m.pool
      const o = mem.set(m, () => freshSet(net)).allocate(id.lo, id.hi, serial)
      if (o < 0n) noAddress(id, poolId)
      return InterfaceAddress.of(IP.fromBigInt(net.base + o, net.version), net.prefix)
    }
    const got = this.resolve(id, poolId, r.signal)
    const m = got instanceof Promise ? await got : got
    const net = m.pool
    const fresh = () => freshSet(net)
    if (preferred) {
      const off = this.offsetIn(net, preferred, poolId)
      const done = this.backend.addresses(
        id.space,
        m,
        fresh,
        (set) => {
          if (!set.add(off)) {
            throw new ConflictError(
              IpamErrorCode.addressInUse,
              `address ${preferred.toString()} is already in use in pool ${net.toString()}`,
              { details: { poolId, address: preferred.toString() } },
            )
          }
          return { value: off, changed: true }
        },
        r.signal,
      )
      if (done instanceof Promise) await done
      return InterfaceAddress.of(preferred, net.prefix)
    }
    const taken = this.backend.addresses(
      id.space,
      m,
      fresh,
      (set) => {
        const o = set.allocate(id.lo, id.hi, serial)
        if (o < 0n) noAddress(id, poolId)
        return { value: o, changed: true }
      },
      r.signal,
    )
    const off = taken instanceof Promise ? await taken : taken
    return InterfaceAddress.of(IP.fromBigInt(net.base + off, net.version), net.prefix)
  }

  async releaseAddress(
    poolId: string,
    address: IP | string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<void> {
    const ip = toIP(address, 'address')
    const id = parsePoolId(poolId, this.ids)
    const got = this.resolve(id, poolId, opts.signal)
    const m = got instanceof Promise ? await got : got
    const net = m.pool
    const off = this.offsetIn(net, ip, poolId)
    if (reserved(net, off)) {
      throw new BadRequestError(
        IpamErrorCode.reservedAddress,
        `address ${ip.toString()} is reserved in pool ${net.toString()} and cannot be released`,
        { details: { poolId, address: ip.toString() } },
      )
    }
    const done = this.backend.addresses(
      id.space,
      m,
      () => freshSet(net),
      (set) => {
        if (!set.delete(off)) {
          throw new NotFoundError(
            IpamErrorCode.addressNotAllocated,
            `address ${ip.toString()} is not allocated in pool ${net.toString()}`,
            { details: { poolId, address: ip.toString() } },
          )
        }
        return { value: undefined, changed: true }
      },
      opts.signal,
    )
    if (done instanceof Promise) await done
  }
}
