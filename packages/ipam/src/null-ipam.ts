/**
 * The null IPAM driver (upstream `ipams/null`): one pseudo pool, 0.0.0.0/0 in address space
 * `null`, and no addresses. For networks whose driver manages no IP configuration. An aborted
 * signal rejects every call, as with any IPAM.
 */
import { BadRequestError, IPNet } from '@libnetwork/types'
import type { IP } from '@libnetwork/types'
import { IpamErrorCode, NULL_IPAM } from './contract.js'
import type {
  AddressRequest,
  DefaultAddressSpaces,
  IpamCapabilities,
  IpamDriver,
  PoolAllocation,
  PoolRequest,
} from './contract.js'
import { toNet } from './pools.js'

const SPACE = 'null'
const POOL = '0.0.0.0/0'
const POOL_ID = `${SPACE}/${POOL}`

export class NullIpam implements IpamDriver {
  readonly type = NULL_IPAM
  /** The only pool id this driver hands out. */
  static readonly poolId = POOL_ID

  async getDefaultAddressSpaces(): Promise<DefaultAddressSpaces> {
    return { local: SPACE, global: SPACE }
  }

  capabilities(): IpamCapabilities {
    return { requiresMACAddress: false, requiresRequestReplay: false }
  }

  async requestPool(req: PoolRequest = {}): Promise<PoolAllocation> {
    req.signal?.throwIfAborted()
    const space = req.addressSpace ?? SPACE
    if (space !== SPACE) {
      throw new BadRequestError(
        IpamErrorCode.invalidAddressSpace,
        `unknown address space ${JSON.stringify(space)} for the null IPAM (only "null")`,
        { details: { addressSpace: String(space) } },
      )
    }
    const pool = req.pool ? toNet(req.pool, IpamErrorCode.invalidPool, 'pool') : undefined
    if ((pool && pool.toString() !== POOL) || req.v6) {
      throw new BadRequestError(
        IpamErrorCode.invalidPool,
        `the null IPAM only has pool ${POOL}${req.v6 ? ' (no IPv6)' : ''}`,
        { details: { pool: pool?.toString() ?? null } },
      )
    }
    if (req.subPool) {
      throw new BadRequestError(IpamErrorCode.invalidSubPool, 'the null IPAM has no sub-pools', {
        details: { subPool: String(req.subPool) },
      })
    }
    return { poolId: POOL_ID, pool: IPNet.parse(POOL), meta: {} }
  }

  async releasePool(_poolId: string, opts: { signal?: AbortSignal } = {}): Promise<void> {
    opts.signal?.throwIfAborted()
  }

  /** Always `undefined`: the null IPAM manages no addresses. */
  async requestAddress(_poolId: string, req: AddressRequest = {}): Promise<undefined> {
    req.signal?.throwIfAborted()
    return undefined
  }

  async releaseAddress(
    _poolId: string,
    _address: IP | string,
    opts: { signal?: AbortSignal } = {},
  ): Promise<void> {
    opts.signal?.throwIfAborted()
  }
}
