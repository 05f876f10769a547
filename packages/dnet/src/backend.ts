/**
 * What the REST API needs from the network controller. The daemon adapts the real
 * @libnetwork/controller to this; API tests use a small in-memory implementation.
 */
import type { ExposedPort, PortBinding as TypedPortBinding } from '@libnetwork/types'

export interface IpamPoolConfig {
  subnet?: string
  ipRange?: string
  gateway?: string
  auxAddresses?: Record<string, string>
}

export interface NetworkCreate {
  name: string
  /** A fixed id (64 lowercase hex characters), e.g. the same network on hosts without a shared store. */
  id?: string
  driver?: string
  ipam?: { driver?: string; config?: IpamPoolConfig[] }
  options?: Record<string, string>
  labels?: Record<string, string>
  internal?: boolean
  ipv6?: boolean
  attachable?: boolean
}

export interface NetworkView {
  id: string
  name: string
  driver: string
  scope: string
  internal: boolean
  ipv6: boolean
  ipam: { driver: string; config: IpamPoolConfig[] }
  options: Record<string, string>
  labels: Record<string, string>
  endpoints: string[]
}

/** A port binding as JSON: the shared `PortBinding` with its host address as text. */
export type PortBinding = Omit<TypedPortBinding, 'hostIP'> & { hostIp?: string }

export interface EndpointCreate {
  name: string
  exposedPorts?: ExposedPort[]
  portBindings?: PortBinding[]
  aliases?: string[]
  ipv4Address?: string
  ipv6Address?: string
  macAddress?: string
}

export interface EndpointView {
  id: string
  name: string
  networkId: string
  networkName: string
  sandboxId: string | null
  ipv4Address: string | null
  ipv6Address: string | null
  macAddress: string | null
  portBindings: PortBinding[]
  aliases: string[]
}

export interface SandboxCreate {
  containerId: string
  hostname?: string
  domainName?: string
  extraHosts?: { name: string; address: string }[]
  dns?: string[]
  dnsSearch?: string[]
  dnsOptions?: string[]
  useHostNetwork?: boolean
}

export interface SandboxView {
  id: string
  containerId: string
  hostname: string
  key: string
  endpoints: string[]
}

export interface JoinOptions {
  aliases?: string[]
}

/** A remote plugin the daemon can find (socket or spec file), and what it said when used. */
export interface PluginView {
  name: string
  /** `unix:///…` or `tcp://…`. */
  address: string
  /** The socket or spec file it was found by. */
  source: string
  /** The handshake's `Implements` (`NetworkDriver`, `IpamDriver`); absent until first used. */
  implements?: string[]
}

/** A node of the cluster (`[cluster]`), as gossip sees it. */
export interface ClusterMemberView {
  name: string
  /** `ip:port` (IPv6 in brackets). */
  address: string
  state: 'alive' | 'suspect' | 'dead' | 'left'
  /** This host. */
  self: boolean
}

/** Names or ids are accepted wherever a network, endpoint or sandbox is named. */
export interface NetworkBackend {
  createNetwork(req: NetworkCreate): Promise<NetworkView>
  listNetworks(): Promise<NetworkView[]>
  getNetwork(idOrName: string): Promise<NetworkView>
  deleteNetwork(idOrName: string): Promise<void>

  createEndpoint(network: string, req: EndpointCreate): Promise<EndpointView>
  listEndpoints(network?: string): Promise<EndpointView[]>
  getEndpoint(network: string, idOrName: string): Promise<EndpointView>
  deleteEndpoint(network: string, idOrName: string): Promise<void>

  createSandbox(req: SandboxCreate): Promise<SandboxView>
  listSandboxes(): Promise<SandboxView[]>
  getSandbox(idOrContainer: string): Promise<SandboxView>
  deleteSandbox(idOrContainer: string): Promise<void>

  join(
    network: string,
    endpoint: string,
    sandbox: string,
    options?: JoinOptions,
  ): Promise<EndpointView>
  leave(network: string, endpoint: string, sandbox: string): Promise<EndpointView>

  /** Remote plugins found (none when the daemon looks for no plugins). */
  listPlugins?(): Promise<PluginView[]>
  /** The cluster's members, this host included (none without `[cluster]`). */
  listClusterMembers?(): Promise<ClusterMemberView[]>
}
