/**
 * The IPAM contract (libnetwork's ipamapi): what an IPAM driver offers and what the controller
 * may call. Types only, plus the well-known names. Drivers implement `IpamDriver`; the default
 * driver (`DefaultIpam`) and the `null` driver (`NullIpam`) are in this package too.
 */
import type { KVStore } from '@libnetwork/datastore'
import type { IP, IPNet, InterfaceAddress, Logger } from '@libnetwork/types'

/** Name of the default IPAM driver. */
export const DEFAULT_IPAM = 'default'
/** Name of the null IPAM driver (networks without addresses, e.g. host and none). */
export const NULL_IPAM = 'null'
/** Address space for networks local to this host. */
export const LOCAL_ADDRESS_SPACE = 'local'
/** Address space for networks shared across hosts (multi-host, global scope). */
export const GLOBAL_ADDRESS_SPACE = 'global'
/** Label that asks for serial allocation (upstream's `com.docker.network.ipam.serial`). */
export const SERIAL_OPTION = 'com.docker.network.ipam.serial'

export interface PoolRequest {
  /** Address space; defaults to `local`. */
  addressSpace?: string
  /** The wanted pool. Absent: the first free predefined pool of the space. */
  pool?: IPNet | string
  /** Hand out addresses only from this part of `pool` (upstream's ip-range). */
  subPool?: IPNet | string
  /** Driver-specific options (label strings, as at the API edge). */
  options?: Record<string, string>
  /** Ask for an IPv6 pool (only matters when `pool` is absent). */
  v6?: boolean
  signal?: AbortSignal
}

export interface PoolAllocation {
  /** Opaque id to pass to the other calls: `<space>/<pool>[/<subPool>]`. */
  poolId: string
  pool: IPNet
  meta: Record<string, string>
}

export interface AddressRequest {
  /** The wanted address: must lie in the pool (it may be outside the sub-pool, as gateways and auxiliary addresses are). */
  preferred?: IP | string
  /** Continue after the last address handed out instead of taking the lowest free one. */
  serial?: boolean
  /** Label options; `com.docker.network.ipam.serial: 'true'` means `serial`. */
  options?: Record<string, string>
  signal?: AbortSignal
}

export interface IpamCapabilities {
  /** The driver wants the endpoint's MAC address with address requests. */
  requiresMACAddress: boolean
  /** The driver wants every allocation replayed on restart. */
  requiresRequestReplay: boolean
}

export interface DefaultAddressSpaces {
  local: string
  global: string
}

/** What every IPAM driver implements (upstream `ipamapi.Ipam`). All calls are async. */
export interface IpamDriver {
  readonly type: string
  getDefaultAddressSpaces(): Promise<DefaultAddressSpaces>
  requestPool(req: PoolRequest): Promise<PoolAllocation>
  releasePool(poolId: string, opts?: { signal?: AbortSignal }): Promise<void>
  /** The address with the pool's prefix length; `undefined` from drivers that manage none (null). */
  requestAddress(poolId: string, req?: AddressRequest): Promise<InterfaceAddress | undefined>
  releaseAddress(
    poolId: string,
    address: IP | string,
    opts?: { signal?: AbortSignal },
  ): Promise<void>
  capabilities(): IpamCapabilities
}

/** What the composer (the daemon, a test) hands to every IPAM factory. */
export interface IpamComponents {
  logger: Logger
  /** This host's store: allocations of the `local` address space. */
  localStore?: IpamStore
  /** The cluster's store (etcd), when configured: allocations of the `global` address space. */
  globalStore?: IpamStore
}

/** An IPAM factory: user configuration is bound first, components are injected by the caller. */
export type IpamFactory = (components: IpamComponents) => IpamDriver

/**
 * Finds an IPAM factory by name at run time (e.g. a remote IPAM plugin); `undefined` means "no
 * such IPAM" (the controller answers with a NotFoundError).
 */
export type IpamResolver = (
  name: string,
  opts?: { signal?: AbortSignal },
) => IpamFactory | undefined | Promise<IpamFactory | undefined>

/**
 * The persistence an IPAM needs: the versioned, compare-and-swap part of the store contract of
 * `@libnetwork/datastore` (`get`, `atomicPut`, `atomicDelete`; a stale version throws a
 * RetryError `stale-version`). Every `KVStore` is one.
 */
export type IpamStore = Pick<KVStore, 'get' | 'atomicPut' | 'atomicDelete'>

/** Error codes thrown by IPAM drivers of this package, with their categories. */
export const IpamErrorCode = {
  /** bad-request: unknown address space. */
  invalidAddressSpace: 'invalid-address-space',
  /** bad-request: malformed pool, wrong family, or unusable default pool list. */
  invalidPool: 'invalid-pool',
  /** bad-request: sub-pool malformed, without a pool, or not inside it. */
  invalidSubPool: 'invalid-sub-pool',
  /** bad-request: malformed pool id. */
  invalidPoolId: 'invalid-pool-id',
  /** bad-request: malformed address. */
  invalidAddress: 'invalid-address',
  /** bad-request: address outside the pool. */
  addressOutOfRange: 'address-out-of-range',
  /** bad-request: releasing the network or broadcast address. */
  reservedAddress: 'reserved-address',
  /** not-found: no such pool. */
  poolNotFound: 'pool-not-found',
  /** not-found: releasing an address that is not allocated. */
  addressNotAllocated: 'address-not-allocated',
  /** conflict: the pool overlaps a pool of the address space. */
  poolOverlap: 'pool-overlap',
  /** conflict: the preferred address is taken. */
  addressInUse: 'address-in-use',
  /** unavailable: no predefined pool left. */
  noAvailablePool: 'no-available-pool',
  /** unavailable: the pool (or sub-pool) is exhausted. */
  noAvailableAddress: 'no-available-address',
  /** retry: compare-and-swap kept failing against the store. */
  tooManyRetries: 'too-many-retries',
} as const
export type IpamErrorCode = (typeof IpamErrorCode)[keyof typeof IpamErrorCode]
