import { IP, IPNet, InterfaceAddress } from '@libnetwork/types'
import type { BoundPort, ExposedPort, PortBinding } from '@libnetwork/driverapi'

/** One address family's IPAM configuration of a network (all fields optional). */
export interface IpamConfig {
  subnet?: IPNet
  /** Allocate container addresses only from this part of the subnet. */
  ipRange?: IPNet
  gateway?: IP
  /** Addresses to keep out of allocation (and hand to the driver), by name. */
  auxAddresses?: Record<string, IP>
}

export interface CreateNetworkOptions {
  name: string
  /** Driver type, a key of the controller's `drivers`. */
  driver: string
  /** Fixed id (64 hex characters); generated when absent. */
  id?: string
  ipam?: { driver?: string; config?: IpamConfig[]; options?: Record<string, string> }
  enableIPv6?: boolean
  /** No route to the outside. */
  internal?: boolean
  /** Sandboxes may join at will (kept for the daemon; no effect locally). */
  attachable?: boolean
  labels?: Record<string, string>
  /** Driver options: a typed object or upstream label strings; parsed by the driver. */
  options?: unknown
}

export interface NetworkSubnet {
  subnet: IPNet
  gateway?: IP
  ipRange?: IPNet
  auxAddresses: Record<string, IP>
}

export interface NetworkInfo {
  id: string
  name: string
  driver: string
  /**
   * The driver's data scope: a `global` network is kept in the global store (when the
   * controller has one) and its pools come from the IPAM's global address space.
   */
  scope: 'local' | 'global'
  ipamDriver: string
  ipv4: NetworkSubnet[]
  ipv6: NetworkSubnet[]
  enableIPv6: boolean
  internal: boolean
  attachable: boolean
  labels: Record<string, string>
  /** The driver options as given (before parsing). */
  options: unknown
  /** What the driver's `allocateNetwork` reserved cluster-wide (global drivers only). */
  driverData?: Record<string, string>
  created: string
}

export interface CreateEndpointOptions {
  name: string
  id?: string
  aliases?: string[]
  exposedPorts?: ExposedPort[]
  portBindings?: PortBinding[]
  ipv4Address?: IP
  ipv6Address?: IP
  mac?: string
}

export interface EndpointInfo {
  id: string
  name: string
  networkId: string
  aliases: string[]
  address?: InterfaceAddress
  addressIPv6?: InterfaceAddress
  mac?: string
  exposedPorts: ExposedPort[]
  portBindings: PortBinding[]
  /** The sandbox the endpoint is joined to. */
  sandboxId?: string
  /** Name of the interface inside the sandbox while joined. */
  ifName?: string
  /** Ports actually published while joined. */
  boundPorts: BoundPort[]
  /** The join's `gwPriority` while joined (kept across restarts). */
  gwPriority?: number
  /** The aliases given at join (also in `aliases` while joined; dropped by leave). */
  joinAliases?: string[]
  /**
   * While joined, what the endpoint does for its sandbox's way out: `gives` the default
   * gateway, `needs` one from the gateway network docker_gwbridge (an overlay's), or `none`
   * (internal, host, or a driver that disables the gateway service). Kept across restarts, so
   * a restart finds which sandboxes need a gateway endpoint; absent in older records.
   */
  gatewayRole?: GatewayRole
}

export type GatewayRole = 'gives' | 'needs' | 'none'

export interface ExtraHost {
  name: string
  ip: IP
}

export interface DnsConfig {
  servers?: IP[]
  search?: string[]
  options?: string[]
}

export interface CreateSandboxOptions {
  containerId: string
  id?: string
  hostname?: string
  domainname?: string
  extraHosts?: ExtraHost[]
  dns?: DnsConfig
  /** Share the controller's network namespace (only host-driver networks can join). */
  useHostNetwork?: boolean
}

export interface SandboxInfo {
  id: string
  containerId: string
  /** Namespace name (absent for host-network sandboxes). */
  key?: string
  /** The sandbox key drivers receive: the namespace path. */
  path: string
  hostname: string
  domainname: string
  extraHosts: ExtraHost[]
  dns: DnsConfig
  useHostNetwork: boolean
  /** Joined endpoint ids, in join order. */
  endpoints: string[]
  /** The endpoint giving the default route. */
  gatewayEndpoint?: string
  hostsPath?: string
  resolvConfPath?: string
}

export interface JoinOptions {
  /**
   * Among joined networks, the highest priority gives the default gateway (then join order);
   * an integer, default 0. Persisted, so the choice survives a restart.
   */
  gwPriority?: number
  /**
   * More names for the endpoint on its network while joined (`dnet service attach --alias`):
   * the embedded DNS answers them like the endpoint's own; leave drops them.
   */
  aliases?: string[]
}

// ---- JSON records in the store ----------------------------------------------------------

type Json = string | number | boolean | null | Json[] | { [k: string]: Json }

/** Turn a value with IP/IPNet members into JSON (IP values serialise as strings). */
export function toRecord(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json
}

const ip = (v: unknown): IP | undefined => (typeof v === 'string' ? IP.parse(v) : undefined)
const net = (v: unknown): IPNet | undefined => (typeof v === 'string' ? IPNet.parse(v) : undefined)
const ifa = (v: unknown): InterfaceAddress | undefined =>
  typeof v === 'string' ? InterfaceAddress.parse(v) : undefined
const ipMap = (v: unknown): Record<string, IP> =>
  Object.fromEntries(
    Object.entries((v ?? {}) as Record<string, string>).map(([k, s]) => [k, IP.parse(s)]),
  )

type Rec = Record<string, unknown>

function subnetFrom(r: Rec): NetworkSubnet {
  return {
    subnet: net(r.subnet)!,
    gateway: ip(r.gateway),
    ipRange: net(r.ipRange),
    auxAddresses: ipMap(r.auxAddresses),
  }
}

export function networkFromRecord(r: Rec): NetworkInfo {
  // The pool ids stay with the record: they are the IPAM's, not part of the network's info.
  const { pools: _pools, ...rest } = r
  return {
    ...(rest as unknown as NetworkInfo),
    // Records from before scopes were kept are local.
    scope: r.scope === 'global' ? 'global' : 'local',
    ipv4: (r.ipv4 as Rec[]).map(subnetFrom),
    ipv6: (r.ipv6 as Rec[]).map(subnetFrom),
  }
}

function portBindingFrom(r: Rec): PortBinding {
  return { ...(r as unknown as PortBinding), hostIP: ip(r.hostIP) }
}

function boundPortFrom(r: Rec): BoundPort {
  return { ...(r as unknown as BoundPort), hostIP: ip(r.hostIP)!, containerIP: ip(r.containerIP)! }
}

export function endpointFromRecord(r: Rec): EndpointInfo {
  return {
    ...(r as unknown as EndpointInfo),
    address: ifa(r.address),
    addressIPv6: ifa(r.addressIPv6),
    portBindings: (r.portBindings as Rec[]).map(portBindingFrom),
    boundPorts: (r.boundPorts as Rec[]).map(boundPortFrom),
  }
}

export function sandboxFromRecord(r: Rec): SandboxInfo {
  const dns = (r.dns ?? {}) as Rec
  return {
    ...(r as unknown as SandboxInfo),
    extraHosts: (r.extraHosts as Rec[]).map((h) => ({ name: h.name as string, ip: ip(h.ip)! })),
    dns: {
      ...(dns as DnsConfig),
      servers: (dns.servers as string[] | undefined)?.map((s) => IP.parse(s)),
    },
  }
}
