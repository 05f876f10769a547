/**
 * The daemon's default IPAM: the local address space in memory (the controller re-reserves a
 * local network's pools and addresses from its records at start), and, with
 * `[datastore.global]`, the global address space on the global store (etcd), shared by every
 * host with compare-and-swap: a global network's pools are reserved once for the cluster, and
 * two hosts never hand out the same address.
 */
import {
  DefaultIpam,
  GLOBAL_ADDRESS_SPACE,
  type IpamDriver,
  type IpamFactory,
} from '@libnetwork/ipam'

/** Key prefix of the global address space's pools and address sets in the global store. */
export const GLOBAL_IPAM_PREFIX = 'ipam/v1'

/**
 * One IPAM over two: requests for the global space go to `global`, the rest to `local`. Pool
 * ids of the default IPAM begin with their space (`global/10.0.0.0/24`), so later calls follow
 * the pool id.
 */
export function bySpace(local: IpamDriver, global: IpamDriver): IpamDriver {
  const pick = (poolId: string): IpamDriver =>
    poolId.startsWith(`${GLOBAL_ADDRESS_SPACE}/`) ? global : local
  return {
    type: local.type,
    getDefaultAddressSpaces: () => local.getDefaultAddressSpaces(),
    capabilities: () => local.capabilities(),
    requestPool: (req) =>
      (req.addressSpace === GLOBAL_ADDRESS_SPACE ? global : local).requestPool(req),
    releasePool: (poolId, opts) => pick(poolId).releasePool(poolId, opts),
    requestAddress: (poolId, req) => pick(poolId).requestAddress(poolId, req),
    releaseAddress: (poolId, address, opts) => pick(poolId).releaseAddress(poolId, address, opts),
  }
}

/**
 * The `default` IPAM factory of a daemon whose host id is `hostId` (its instance id): the local
 * space's IPv6 default pool is a ULA /48 derived from it, as Moby's daemon derives one from its
 * engine id, so `--ipv6` needs no subnet and two daemons' defaults differ.
 */
export function defaultIpamFor(hostId = ''): IpamFactory {
  return (components) => {
    const local = new DefaultIpam({ hostId })
    if (!components.globalStore) return local
    return bySpace(
      local,
      new DefaultIpam({ store: components.globalStore, storePrefix: GLOBAL_IPAM_PREFIX }),
    )
  }
}

/** The `default` IPAM factory with the empty host id (see `defaultIpamFor`). */
export const defaultIpam: IpamFactory = defaultIpamFor()
