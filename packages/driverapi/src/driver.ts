import type {
  ExposedPort,
  IP,
  IPNet,
  InterfaceAddress,
  Logger,
  PortBinding,
  Protocol,
  StaticRoute,
} from '@libnetwork/types'
import type { KVStore } from '@libnetwork/datastore'
import type { ClusterTables, TableEvent } from './cluster.js'

/** Where a driver's networks live: one host (`local`) or a cluster (`global`). */
export type DataScope = 'local' | 'global'

/** What the controller needs to know about a driver before using it. */
export interface Capability {
  /** Where the driver's network records are stored. */
  dataScope: DataScope
  /** Whether endpoints of one network can reach each other across hosts. */
  connectivityScope: DataScope
  /**
   * Endpoints of this driver's networks get addresses from an IPAM. When false (host, null), a
   * network uses the null IPAM unless the user names one.
   */
  needsIpam: boolean
  /**
   * Sandboxes joined to this driver's networks share the host's network namespace (host). Such
   * a network only takes sandboxes created with `useHostNetwork`, and they join no other.
   */
  sharesHostNetwork: boolean
  /**
   * Cluster tables (see `ClusterTables`) whose events this driver wants through
   * `onTableEvent`, e.g. `['overlay_peer_table']`. Only meaningful for global-scope drivers.
   */
  tables?: readonly string[]
}

/** Pool and gateway data the controller obtained from IPAM for one address family. */
export interface IpamData {
  /** The address pool (subnet) of the network. */
  pool: IPNet
  /** The gateway address with the pool's prefix length. */
  gateway?: InterfaceAddress
  /** Addresses reserved for the driver, by name (upstream's AuxAddresses). */
  auxAddresses?: Record<string, IP>
}

/** A port binding as the driver actually programmed it (hostPort resolved). */
export interface BoundPort {
  protocol: Protocol
  port: number
  hostIP: IP
  hostPort: number
  containerIP: IP
}

export interface CreateNetworkRequest {
  networkId: string
  /** The user-facing network name (drivers may use it in interface names). */
  name: string
  /** Driver-specific options, already parsed by the driver's `parseOptions`. */
  options: unknown
  ipv4: IpamData[]
  ipv6: IpamData[]
  enableIPv6: boolean
  /** No route to the outside world; only endpoints of this network talk to each other. */
  internal: boolean
  labels: Record<string, string>
  /** What `allocateNetwork` returned for this network (global drivers); else absent. */
  driverData?: Record<string, string>
}

export interface NetworkRef {
  networkId: string
}

/** The addresses of an endpoint's interface as chosen by IPAM (or the driver). */
export interface EndpointInterface {
  address?: InterfaceAddress
  addressIPv6?: InterfaceAddress
  /** MAC address in `aa:bb:cc:dd:ee:ff` form. */
  mac?: string
}

export interface CreateEndpointRequest {
  networkId: string
  endpointId: string
  iface: EndpointInterface
  /** Endpoint options understood by drivers. */
  options: EndpointOptions
}

export interface EndpointOptions {
  exposedPorts?: ExposedPort[]
  portBindings?: PortBinding[]
}

/** What createEndpoint settled: any field the driver chose (e.g. a MAC derived from the IP). */
export interface CreateEndpointResult {
  iface: EndpointInterface
}

export interface EndpointRef {
  networkId: string
  endpointId: string
}

export interface JoinRequest {
  networkId: string
  endpointId: string
  /** The sandbox's key: the path (or name) of its network namespace. */
  sandboxKey: string
  options: EndpointOptions
}

/** An interface the controller moves into the sandbox: host-side `srcName`, renamed `dstPrefix`N. */
export interface JoinInterface {
  srcName: string
  dstPrefix: string
  /**
   * The driver created `srcName` inside the sandbox's namespace already (saves the move); the
   * sandbox layer only renames and configures it.
   */
  inSandbox?: boolean
}

/** What the driver tells the sandbox on join (upstream's JoinInfo, as a return value). */
export interface JoinResult {
  interfaces: JoinInterface[]
  gateway?: IP
  gatewayIPv6?: IP
  staticRoutes: StaticRoute[]
  /**
   * Upstream's DisableGatewayService: this endpoint wants no gateway service at all, so the
   * sandbox is not given the way out through the gateway network (docker_gwbridge) for it. An
   * endpoint that gives no gateway and does not set this (an overlay's) gets that way out.
   */
  disableGatewayService: boolean
}

export interface ExternalConnectivityRequest {
  networkId: string
  endpointId: string
  options: EndpointOptions
}

/** Runtime facts about an endpoint, for users (upstream's EndpointOperInfo). */
export interface EndpointOperInfo {
  mac?: string
  portBindings: BoundPort[]
  exposedPorts: ExposedPort[]
  [key: string]: unknown
}

/** State a driver needs to rebuild after a controller restart (read back from the store). */
export interface RestoreState {
  networks: Array<CreateNetworkRequest>
  endpoints: Array<{
    networkId: string
    endpointId: string
    iface: EndpointInterface
    options: EndpointOptions
    /** The sandbox key when the endpoint was joined, else undefined. */
    sandboxKey?: string
    /** Ports that were published for the joined endpoint (re-program the same host ports). */
    boundPorts?: BoundPort[]
  }>
}

/** Where the driver stands after restore: what it found stale and removed, what it re-created. */
export interface RestoreReport {
  removed: string[]
  recreated: string[]
}

export interface OperationOptions {
  /**
   * The caller gives up when it aborts. A driver rejects with `signal.reason` when it is
   * aborted already, before any change (the compliance suite checks it); it may also stop
   * between steps of a long operation, undoing the steps done.
   */
  signal?: AbortSignal
}

/**
 * A network driver. Drivers are instances created by factories and handed to the controller;
 * the controller calls them in CNM order: createNetwork → createEndpoint → join →
 * programExternalConnectivity, and back: revokeExternalConnectivity → leave → deleteEndpoint
 * → deleteNetwork. A method that throws must leave the driver's state as it was.
 */
export interface Driver {
  /** The driver's type name, e.g. `bridge`. */
  readonly type: string
  readonly capability: Capability
  /** Validate and type network options coming from the edge (labels or objects). */
  parseNetworkOptions(raw: unknown): unknown
  createNetwork(req: CreateNetworkRequest, opts?: OperationOptions): Promise<void>
  deleteNetwork(req: NetworkRef, opts?: OperationOptions): Promise<void>
  createEndpoint(req: CreateEndpointRequest, opts?: OperationOptions): Promise<CreateEndpointResult>
  deleteEndpoint(req: EndpointRef, opts?: OperationOptions): Promise<void>
  endpointOperInfo(req: EndpointRef): Promise<EndpointOperInfo>
  join(req: JoinRequest, opts?: OperationOptions): Promise<JoinResult>
  leave(req: EndpointRef, opts?: OperationOptions): Promise<void>
  programExternalConnectivity(
    req: ExternalConnectivityRequest,
    opts?: OperationOptions,
  ): Promise<BoundPort[]>
  revokeExternalConnectivity(req: EndpointRef, opts?: OperationOptions): Promise<void>
  /** Rebuild in-memory state from records and reconcile with the kernel. */
  restore(state: RestoreState, opts?: OperationOptions): Promise<RestoreReport>
  /** Release long-lived resources (not the networks: they survive a restart). */
  stop(): Promise<void>
  /**
   * Optional. A driver that finishes part of an operation in the background (e.g. removing a
   * left endpoint's port rules after `revokeExternalConnectivity` returned) resolves this when
   * every such operation queued so far has finished, and rejects with a background failure
   * (once; the driver reported it too). Such a driver orders its own operations (a later one
   * that depends on pending work waits for it) and its `stop` and `restore` finish pending
   * work first; callers await `settled` in their own `settled`/`stop` to see a quiet state.
   */
  settled?(): Promise<void>
  /**
   * Optional, for global-scope drivers: reserve network-wide resources once per cluster (e.g. a
   * VXLAN id) before the network exists on any host. Called by the host that creates the
   * network; the returned options are stored with the network and handed to `createNetwork`
   * (in `req.driverData`) on every host. Must be undone by `freeNetwork`.
   */
  allocateNetwork?(
    req: AllocateNetworkRequest,
    opts?: OperationOptions,
  ): Promise<Record<string, string>>
  /** Optional: release what `allocateNetwork` reserved (once per cluster, on removal). */
  freeNetwork?(req: FreeNetworkRequest, opts?: OperationOptions): Promise<void>
  /** Optional: a change to one of `capability.tables` on a network this host takes part in. */
  onTableEvent?(ev: TableEvent): void
}

export interface AllocateNetworkRequest {
  networkId: string
  /** Driver options, already parsed by `parseNetworkOptions`. */
  options: unknown
  ipv4: IpamData[]
  ipv6: IpamData[]
}

export interface FreeNetworkRequest {
  networkId: string
  /** What `allocateNetwork` returned. */
  driverData: Record<string, string>
}

/** A driver factory: user configuration is bound first, components are injected by the caller. */
export type DriverFactory = (components: DriverComponents) => Driver

/**
 * Finds a driver factory by type name at run time (e.g. a remote plugin found on disk on first
 * use); `undefined` means "no such driver" (the controller answers with a NotFoundError).
 */
export type DriverResolver = (
  type: string,
  opts?: OperationOptions,
) => DriverFactory | undefined | Promise<DriverFactory | undefined>

/**
 * What the composer (the daemon, a test) owns and hands to every driver: collaborators, never
 * user configuration (that is bound in the factory's own arguments).
 */
export interface DriverComponents {
  /** Where to log; the controller gives a no-op logger when the daemon gives none. */
  logger: Logger
  /** This host's store (the embedded one), for a driver's own records. */
  localStore?: KVStore
  /** The cluster's store (etcd), when one is configured: global-scope records, e.g. VNI pools. */
  globalStore?: KVStore
  /** The cluster's gossip tables, when this host is in a cluster. */
  cluster?: ClusterTables
}
