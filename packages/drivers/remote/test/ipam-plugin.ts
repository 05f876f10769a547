// An IPAM plugin written with our server library that serves any IpamDriver of ours (the
// default IPAM in these tests): what a plugin author would write, and a faithful backend.
import type { IpamDriver } from '@libnetwork/ipam'
import type { IpamDriverHandlers } from '@libnetwork/plugin-server'

export function ipamHandlers(
  ipam: IpamDriver,
  calls: Array<[string, unknown]> = [],
): IpamDriverHandlers {
  return {
    getCapabilities: () => ({ RequiresMACAddress: true, RequiresRequestReplay: false }),
    getDefaultAddressSpaces: async () => {
      const s = await ipam.getDefaultAddressSpaces()
      return { LocalDefaultAddressSpace: s.local, GlobalDefaultAddressSpace: s.global }
    },
    requestPool: async (req) => {
      calls.push(['RequestPool', req])
      const a = await ipam.requestPool({
        addressSpace: req.AddressSpace,
        ...(req.Pool ? { pool: req.Pool } : {}),
        ...(req.SubPool ? { subPool: req.SubPool } : {}),
        options: req.Options,
        v6: req.V6,
      })
      return { PoolID: a.poolId, Pool: a.pool.toString(), Data: a.meta }
    },
    releasePool: async (req) => {
      calls.push(['ReleasePool', req])
      await ipam.releasePool(req.PoolID)
    },
    requestAddress: async (req) => {
      calls.push(['RequestAddress', req])
      const a = await ipam.requestAddress(req.PoolID, {
        ...(req.Address ? { preferred: req.Address } : {}),
        options: req.Options,
      })
      return { Address: a?.toString() ?? '' }
    },
    releaseAddress: async (req) => {
      calls.push(['ReleaseAddress', req])
      await ipam.releaseAddress(req.PoolID, req.Address)
    },
  }
}
