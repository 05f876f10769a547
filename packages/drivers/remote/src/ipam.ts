import { IPNet, InterfaceAddress } from '@libnetwork/types'
import {
  SERIAL_OPTION,
  type DefaultAddressSpaces,
  type IpamCapabilities,
  type IpamDriver,
  type IpamFactory,
} from '@libnetwork/ipam'
import { IPAM_DRIVER } from '@libnetwork/plugin-server'
import type { CallOptions, PluginClient } from './client.js'
import { badResponse, isNotSupported } from './errors.js'

/**
 * Ask an IPAM plugin's capabilities (`IpamDriver.GetCapabilities`); a plugin that does not
 * serve the call needs neither MAC addresses nor replay, as upstream assumes.
 */
export async function fetchIpamCapabilities(
  client: PluginClient,
  opts: CallOptions = {},
): Promise<IpamCapabilities> {
  try {
    const res = await client.call(`${IPAM_DRIVER}.GetCapabilities`, null, opts)
    return {
      requiresMACAddress: res.RequiresMACAddress === true,
      requiresRequestReplay: res.RequiresRequestReplay === true,
    }
  } catch (err) {
    if (isNotSupported(err)) return { requiresMACAddress: false, requiresRequestReplay: false }
    throw err
  }
}

/**
 * An IPAM factory whose driver forwards each call to the IPAM plugin behind `client`. Its type
 * is the plugin's name; `capabilities` come from `fetchIpamCapabilities` (or a resolver).
 */
export function remoteIpam(client: PluginClient, capabilities: IpamCapabilities): IpamFactory {
  return () => createRemoteIpam(client, capabilities)
}

function createRemoteIpam(client: PluginClient, caps: IpamCapabilities): IpamDriver {
  const call = (name: string, body: unknown, signal?: AbortSignal) =>
    client.call(`${IPAM_DRIVER}.${name}`, body, signal ? { signal } : {})
  const facts = (name: string) => ({ plugin: client.name, method: `${IPAM_DRIVER}.${name}` })
  const text = (v: unknown, name: string, field: string): string => {
    if (v === undefined || v === null) return ''
    if (typeof v !== 'string') throw badResponse(facts(name), `${field} must be a string`)
    return v
  }
  const strings = (v: unknown): Record<string, string> => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return {}
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, String(x)]))
  }
  let spaces: Promise<DefaultAddressSpaces> | undefined

  const driver: IpamDriver = {
    type: client.name,
    capabilities: () => ({ ...caps }),
    getDefaultAddressSpaces() {
      const p = (spaces ??= (async () => {
        const res = await call('GetDefaultAddressSpaces', null)
        const local = text(
          res.LocalDefaultAddressSpace,
          'GetDefaultAddressSpaces',
          'LocalDefaultAddressSpace',
        )
        const global = text(
          res.GlobalDefaultAddressSpace,
          'GetDefaultAddressSpaces',
          'GlobalDefaultAddressSpace',
        )
        return { local, global }
      })())
      // A failed ask is not remembered: the plugin may answer next time.
      p.catch(() => {
        if (spaces === p) spaces = undefined
      })
      return p.then((s) => ({ ...s }))
    },
    async requestPool(req) {
      const addressSpace = req.addressSpace ?? (await driver.getDefaultAddressSpaces()).local
      const pool = req.pool === undefined ? '' : req.pool.toString()
      const v6 = req.v6 === true || pool.includes(':')
      const res = await call(
        'RequestPool',
        {
          AddressSpace: addressSpace,
          Pool: pool,
          SubPool: req.subPool === undefined ? '' : req.subPool.toString(),
          Options: req.options ?? {},
          V6: v6,
        },
        req.signal,
      )
      const poolId = text(res.PoolID, 'RequestPool', 'PoolID')
      if (poolId === '') throw badResponse(facts('RequestPool'), 'PoolID is empty')
      let net: IPNet
      try {
        net = IPNet.parse(text(res.Pool, 'RequestPool', 'Pool'), { strict: false })
      } catch (cause) {
        await call('ReleasePool', { PoolID: poolId }).catch(() => undefined)
        throw badResponse(
          facts('RequestPool'),
          `Pool ${JSON.stringify(res.Pool)} is not a CIDR`,
          cause,
        )
      }
      return { poolId, pool: net, meta: strings(res.Data) }
    },
    async releasePool(poolId, opts) {
      await call('ReleasePool', { PoolID: poolId }, opts?.signal)
    },
    async requestAddress(poolId, req = {}) {
      const options: Record<string, string> = { ...req.options }
      if (req.serial) options[SERIAL_OPTION] = 'true'
      const res = await call(
        'RequestAddress',
        {
          PoolID: poolId,
          Address: req.preferred === undefined ? '' : req.preferred.toString(),
          Options: options,
        },
        req.signal,
      )
      const address = text(res.Address, 'RequestAddress', 'Address')
      if (address === '') return undefined
      try {
        return InterfaceAddress.parse(address)
      } catch (cause) {
        throw badResponse(
          facts('RequestAddress'),
          `Address ${JSON.stringify(address)} is not a CIDR`,
          cause,
        )
      }
    },
    async releaseAddress(poolId, address, opts) {
      await call('ReleaseAddress', { PoolID: poolId, Address: address.toString() }, opts?.signal)
    },
  }
  return driver
}
