/**
 * @packageDocumentation
 * IP address management for the Container Network Model: the IPAM contract (upstream's
 * ipamapi), the default IPAM driver, and the null driver.
 *
 * @example
 * ```ts
 * import { DefaultIpam } from '@libnetwork/ipam'
 * const ipam = new DefaultIpam()
 * const { poolId, pool } = await ipam.requestPool({ addressSpace: 'local' }) // 172.17.0.0/16
 * const gw = await ipam.requestAddress(poolId) // 172.17.0.1/16
 * await ipam.releaseAddress(poolId, gw.ip)
 * await ipam.releasePool(poolId)
 * ```
 */
export {
  DEFAULT_IPAM,
  NULL_IPAM,
  LOCAL_ADDRESS_SPACE,
  GLOBAL_ADDRESS_SPACE,
  SERIAL_OPTION,
  IpamErrorCode,
} from './contract.js'
export type {
  PoolRequest,
  PoolAllocation,
  AddressRequest,
  IpamCapabilities,
  DefaultAddressSpaces,
  IpamDriver,
  IpamStore,
  IpamComponents,
  IpamFactory,
  IpamResolver,
} from './contract.js'
export { DefaultIpam } from './default-ipam.js'
export type { DefaultIpamOptions } from './default-ipam.js'
export { NullIpam } from './null-ipam.js'
export { DEFAULT_LOCAL_POOLS, DEFAULT_GLOBAL_POOLS, ulaPool } from './pools.js'
export type { PoolSpec } from './pools.js'
