import { randomBytes } from 'node:crypto'
import type { EndpointInterface, IpamData } from '@libnetwork/driverapi'
import type { IP, InterfaceAddress } from '@libnetwork/types'
import type { MacvlanNetworkOptions } from './options.js'

/** Aliases of the parents this driver created (VLAN, dummy): `libnetwork-macvlan:<network id>`. */
export const ALIAS = 'libnetwork-macvlan:'

export interface Ep {
  id: string
  iface: EndpointInterface
  /** The child's name inside the sandbox until the sandbox layer renames it. */
  child: string
  /** The sandbox's namespace while joined. */
  sandboxKey?: string
}

export interface Net {
  id: string
  opts: MacvlanNetworkOptions
  /** The link the children hang off. */
  parent: string
  /** The parent is this network's own (a VLAN sub-interface or a dummy), deleted with it. */
  owned?: 'vlan' | 'dummy'
  ipv4: IpamData[]
  ipv6: IpamData[]
  /** No default route: `--internal`, or no parent (a dummy leads nowhere). */
  internal: boolean
  endpoints: Map<string, Ep>
}

/** MAC derived from the IPv4 address as upstream does (02:42:a.b.c.d), else random local. */
export function macFor(address: InterfaceAddress | undefined): string {
  const bytes =
    address?.version === 4 ? [0x02, 0x42, ...address.ip.toBytes()] : [0x02, 0x42, ...randomBytes(4)]
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')
}

/** The dummy parent's name for a network without a parent (upstream's `dm-<short id>`). */
export const dummyName = (networkId: string): string => `dm-${networkId.slice(0, 12)}`

/** The gateway for an address: its pool's gateway, or the pool's first address. */
export function gatewayFor(
  pools: IpamData[],
  address: InterfaceAddress | undefined,
): IP | undefined {
  if (!address) return undefined
  const d = pools.find((p) => p.pool.contains(address.ip))
  return d ? (d.gateway?.ip ?? d.pool.at(1)) : undefined
}

export function newEp(id: string, iface: EndpointInterface): Ep {
  return { id, iface, child: `mv${id.slice(0, 12)}` }
}
