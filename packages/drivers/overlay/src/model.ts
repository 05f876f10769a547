import type { CreateNetworkRequest, EndpointInterface, IpamData } from '@libnetwork/driverapi'
import type { InterfaceAddress } from '@libnetwork/types'
import { randomBytes } from 'node:crypto'
import type { OverlayNetworkOptions } from './options.js'
import type { PeerRecord } from './peer-record.js'

export interface Ep {
  id: string
  iface: EndpointInterface
  mac: string
  /** The veth end on the network's bridge. */
  host: string
  /** The veth end born in the sandbox (renamed there by the sandbox layer). */
  peer: string
  sandboxKey?: string
}

export interface Net {
  id: string
  opts: OverlayNetworkOptions
  vni: number
  /** VNIs this host reserved itself at createNetwork (no allocateNetwork): freed at delete. */
  ownVnis?: number[]
  mtu: number
  ipv4: IpamData[]
  ipv6: IpamData[]
  internal: boolean
  endpoints: Map<string, Ep>
  /** The network's namespace on this host while an endpoint is joined. */
  netns: string
  sandbox: boolean
  /** This host joined the network's group in the cluster tables (while `sandbox`). */
  inGroup?: boolean
  /** Remote peers known from the cluster table, by entry key. */
  remote: Map<string, PeerRecord>
}

export const BRIDGE = 'br0'
/** The VXLAN device's name (made in the host namespace, so unique there): `vx-<vni hex>-<id>`. */
export const vxlanName = (vni: number, networkId: string): string =>
  `vx-${vni.toString(16).padStart(6, '0')}-${networkId.slice(0, 5)}`

/** A MAC from the IPv4 address (02:42 + the address, as Docker), else random local. */
export function macFor(address: InterfaceAddress | undefined): string {
  const bytes =
    address?.version === 4 ? [0x02, 0x42, ...address.ip.toBytes()] : [0x02, 0x42, ...randomBytes(4)]
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')
}

export function newEp(id: string, iface: EndpointInterface, mac: string): Ep {
  return { id, iface, mac, host: `veth${id.slice(0, 11)}`, peer: `ov${id.slice(0, 13)}` }
}

/** A network's record on this host, its kernel state not made yet. */
export function newNet(
  req: CreateNetworkRequest,
  f: { opts: OverlayNetworkOptions; vni: number; ownVnis?: number[]; mtu: number; prefix: string },
): Net {
  return {
    id: req.networkId,
    opts: f.opts,
    vni: f.vni,
    ...(f.ownVnis ? { ownVnis: f.ownVnis } : {}),
    mtu: f.mtu,
    ipv4: req.ipv4,
    ipv6: req.ipv6,
    internal: req.internal,
    endpoints: new Map(),
    netns: `${f.prefix}${f.vni}-${req.networkId.slice(0, 12)}`,
    sandbox: false,
    remote: new Map(),
  }
}
