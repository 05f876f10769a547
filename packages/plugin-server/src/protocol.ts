/**
 * Docker's plugin protocol v1 as JSON shapes: the activation handshake, the network driver
 * (`NetworkDriver.*`) and IPAM driver (`IpamDriver.*`) calls. Field names are the protocol's
 * own (upstream libnetwork's drivers/remote/api and ipams/remote/api), so a plugin written
 * against these types answers Docker's daemon as well as ours.
 */

/** The content type plugins answer with (and clients send). */
export const PLUGIN_CONTENT_TYPE = 'application/vnd.docker.plugins.v1+json'

/**
 * Request content types a plugin accepts: the v1 family (v1, v1.1, v1.2 as Docker's clients
 * have sent over the years) and plain JSON.
 */
export const ACCEPTED_CONTENT_TYPES: readonly string[] = [
  'application/vnd.docker.plugins.v1+json',
  'application/vnd.docker.plugins.v1.1+json',
  'application/vnd.docker.plugins.v1.2+json',
  'application/json',
]

/** The `Implements` name of a network driver plugin. */
export const NETWORK_DRIVER = 'NetworkDriver'
/** The `Implements` name of an IPAM driver plugin. */
export const IPAM_DRIVER = 'IpamDriver'

/** Response headers our server adds to an error so our client can restore its category. */
export const ERROR_CATEGORY_HEADER = 'x-libnetwork-error-category'
export const ERROR_CODE_HEADER = 'x-libnetwork-error-code'

/** Option keys (upstream's netlabel) that travel in `Options` maps. */
export const Label = {
  /** Driver options given by the user (`-o k=v`), a string map. */
  generic: 'com.docker.network.generic',
  enableIPv6: 'com.docker.network.enable_ipv6',
  internal: 'com.docker.network.internal',
  /** Published ports: `PortBinding[]`. */
  portMap: 'com.docker.network.portmap',
  /** Exposed ports: `TransportPort[]`. */
  exposedPorts: 'com.docker.network.endpoint.exposedports',
  macAddress: 'com.docker.network.endpoint.macaddress',
} as const

/** Every response may carry `Err`; a non-empty one means the call failed. */
export interface ErrorResponse {
  Err: string
}

export interface ActivateResponse {
  Implements: string[]
}

// ---- NetworkDriver ----

export interface CapabilitiesResponse {
  /** `local` or `global`. */
  Scope: string
  /** `local` or `global`; empty means the same as `Scope`. */
  ConnectivityScope?: string
}

/** Pool data of one address family (upstream's driverapi.IPAMData). Addresses in CIDR form. */
export interface IPAMData {
  AddressSpace: string
  /** The pool, e.g. `172.18.0.0/16`. */
  Pool: string
  /** The gateway with the pool's prefix, e.g. `172.18.0.1/16`. */
  Gateway?: string
  /** Reserved addresses by name, each with the pool's prefix. */
  AuxAddresses?: Record<string, string>
}

export interface CreateNetworkRequest {
  NetworkID: string
  /** Free-form options; see `Label` for the well-known keys. */
  Options: Record<string, unknown>
  IPv4Data: IPAMData[]
  IPv6Data: IPAMData[]
}

export interface AllocateNetworkRequest {
  NetworkID: string
  Options: Record<string, string>
  IPv4Data: IPAMData[]
  IPv6Data: IPAMData[]
}

export interface AllocateNetworkResponse {
  /** Plugin data handed back in `CreateNetwork`'s options on every host. */
  Options?: Record<string, string>
}

export interface NetworkIdRequest {
  NetworkID: string
}

/** DeleteNetwork and FreeNetwork. */
export type DeleteNetworkRequest = NetworkIdRequest
export type FreeNetworkRequest = NetworkIdRequest

/** Addresses in CIDR form, MAC as `aa:bb:cc:dd:ee:ff`; empty strings mean "not set". */
export interface EndpointInterface {
  Address?: string
  AddressIPv6?: string
  MacAddress?: string
}

export interface CreateEndpointRequest {
  NetworkID: string
  EndpointID: string
  Interface?: EndpointInterface
  Options: Record<string, unknown>
}

export interface CreateEndpointResponse {
  /** Only fields the request left empty may be filled in. */
  Interface?: EndpointInterface | null
}

export interface EndpointRequest {
  NetworkID: string
  EndpointID: string
}

/** DeleteEndpoint, EndpointOperInfo, Leave, RevokeExternalConnectivity. */
export type DeleteEndpointRequest = EndpointRequest
export type EndpointInfoRequest = EndpointRequest
export type LeaveRequest = EndpointRequest
export type RevokeExternalConnectivityRequest = EndpointRequest

export interface EndpointInfoResponse {
  Value: Record<string, unknown>
}

export interface JoinRequest {
  NetworkID: string
  EndpointID: string
  /** The sandbox's network namespace path. */
  SandboxKey: string
  Options: Record<string, unknown>
}

/** The interface the daemon moves into the sandbox, renamed `DstPrefix` plus a number. */
export interface InterfaceName {
  SrcName: string
  DstPrefix: string
  DstName?: string
}

export const RouteType = { nextHop: 0, connected: 1 } as const

export interface StaticRoute {
  /** CIDR. */
  Destination: string
  /** 0: via `NextHop`; 1: directly connected. */
  RouteType: number
  NextHop?: string
}

export interface JoinResponse {
  InterfaceName?: InterfaceName | null
  Gateway?: string
  GatewayIPv6?: string
  StaticRoutes?: StaticRoute[] | null
  DisableGatewayService?: boolean
}

export interface ProgramExternalConnectivityRequest {
  NetworkID: string
  EndpointID: string
  Options: Record<string, unknown>
}

/** Discovery types: 1 is a node joining or leaving (the only one sent to plugins). */
export const DiscoveryType = {
  node: 1,
  datastoreConfig: 2,
  encryptionKeysConfig: 3,
  encryptionKeysUpdate: 4,
} as const

export interface NodeDiscoveryData {
  Address: string
  BindAddress?: string
  Self: boolean
}

export interface DiscoveryNotification {
  DiscoveryType: number
  DiscoveryData: unknown
}

/** A published port as upstream's `types.PortBinding` (Proto 6 tcp, 17 udp, 132 sctp). */
export interface PortBinding {
  Proto: number
  IP: string
  Port: number
  HostIP: string
  HostPort: number
  HostPortEnd: number
}

/** An exposed port as upstream's `types.TransportPort`. */
export interface TransportPort {
  Proto: number
  Port: number
}

/** IP protocol numbers used by `Proto`. */
export const Proto = { icmp: 1, tcp: 6, udp: 17, sctp: 132 } as const

// ---- IpamDriver ----

export interface IpamCapabilitiesResponse {
  RequiresMACAddress: boolean
  RequiresRequestReplay?: boolean
}

export interface AddressSpacesResponse {
  LocalDefaultAddressSpace: string
  GlobalDefaultAddressSpace: string
}

export interface RequestPoolRequest {
  AddressSpace: string
  /** CIDR, or empty: the plugin picks one. */
  Pool: string
  SubPool: string
  Options: Record<string, string>
  V6: boolean
}

export interface RequestPoolResponse {
  PoolID: string
  /** CIDR. */
  Pool: string
  Data?: Record<string, string>
}

export interface ReleasePoolRequest {
  PoolID: string
}

export interface RequestAddressRequest {
  PoolID: string
  /** The wanted address (no prefix), or empty. */
  Address: string
  Options: Record<string, string>
}

export interface RequestAddressResponse {
  /** CIDR: the address with the pool's prefix. */
  Address: string
  Data?: Record<string, string>
}

export interface ReleaseAddressRequest {
  PoolID: string
  Address: string
}
