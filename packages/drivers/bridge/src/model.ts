import { randomBytes } from 'node:crypto'
import type { BoundPort, EndpointInterface, EndpointOptions, IpamData } from '@libnetwork/driverapi'
import type { PortMapping } from '@libnetwork/portmapper'
import type { InterfaceAddress } from '@libnetwork/types'
import type { BridgeDriverConfig } from './config.js'
import { networkRules, type PlacedRule } from './firewall.js'
import type { BridgeNetworkOptions } from './options.js'

/** The driver's records of networks and endpoints, and how they are made. */
export interface Ep {
  id: string
  host: string
  peer: string
  iface: EndpointInterface
  options: EndpointOptions
  joined: boolean
  ports: BoundPort[]
  mappings: PortMapping[]
  /** The background removal of ports this endpoint published before its last leave. */
  unmapping?: Promise<void>
  /** Mappings whose background removal failed: removed again before the endpoint goes. */
  stale: PortMapping[]
}

export interface Net {
  id: string
  opts: BridgeNetworkOptions
  bridge: string
  ipv4: IpamData[]
  ipv6: IpamData[]
  internal: boolean
  rules: PlacedRule[]
  rules6: PlacedRule[]
  endpoints: Map<string, Ep>
}

export const ALIAS = 'libnetwork:'

/** The alias of a link made for network or endpoint `id`: `libnetwork:[<owner>:]<id>`. */
export function aliasOf(owner: string | undefined, id: string): string {
  return owner === undefined ? `${ALIAS}${id}` : `${ALIAS}${owner}:${id}`
}

/** Owner and id of a link made by a bridge driver (from its alias), or undefined. */
export function parseAlias(alias: string | undefined): { owner?: string; id: string } | undefined {
  if (!alias?.startsWith(ALIAS)) return undefined
  const rest = alias.slice(ALIAS.length)
  const colon = rest.lastIndexOf(':')
  return colon < 0 ? { id: rest } : { owner: rest.slice(0, colon), id: rest.slice(colon + 1) }
}

/** MAC derived from the IPv4 address as upstream does (02:42:a.b.c.d), else random local. */
export function macFor(address: InterfaceAddress | undefined): string {
  const bytes =
    address?.version === 4 ? [0x02, 0x42, ...address.ip.toBytes()] : [0x02, 0x42, ...randomBytes(4)]
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join(':')
}

/** A network's record and its firewall rules (IPv6 rules only when ip6tables is on). */
export function newNet(
  cfg: BridgeDriverConfig,
  req: {
    networkId: string
    options: unknown
    ipv4: IpamData[]
    ipv6: IpamData[]
    internal: boolean
  },
): Net {
  const opts = req.options as BridgeNetworkOptions
  const bridgeName = opts.bridgeName ?? `br-${req.networkId.slice(0, 12)}`
  const net: Net = {
    id: req.networkId,
    opts,
    bridge: bridgeName,
    ipv4: req.ipv4,
    ipv6: req.ipv6,
    internal: req.internal,
    rules: [],
    rules6: [],
    endpoints: new Map(),
  }
  const fw = {
    bridge: bridgeName,
    internal: req.internal,
    icc: opts.enableICC,
    masquerade: opts.enableIPMasquerade,
  }
  net.rules = networkRules({ ...fw, subnets: req.ipv4.map((d) => d.pool) })
  if (req.ipv6.length > 0 && cfg.ip6tables !== false)
    net.rules6 = networkRules({ ...fw, subnets: req.ipv6.map((d) => d.pool) })
  return net
}

/** An endpoint's record; its veth names come from the id. */
export function newEp(id: string, iface: EndpointInterface, options: EndpointOptions): Ep {
  const short = id.slice(0, 7)
  return {
    id,
    host: `veth${short}`,
    peer: `vc${short}`,
    iface,
    options,
    joined: false,
    ports: [],
    mappings: [],
    stale: [],
  }
}
