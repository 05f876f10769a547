import type {
  ClusterTables,
  DriverFactory,
  DriverResolver,
  OperationOptions,
} from '@libnetwork/driverapi'
import { memoryStore, type KVStore } from '@libnetwork/datastore'
import type { IpamFactory, IpamResolver } from '@libnetwork/ipam'
import { noopLogger, type Logger } from '@libnetwork/types'
import type { SandboxOS } from './contracts.js'
import { TypedEmitter, type ControllerEventName, type Listener } from './events.js'
import { createEndpoint, deleteEndpoint, findEndpoint, findEndpointOf } from './endpoints.js'
import { createNetwork, deleteNetwork, findNetwork } from './networks.js'
import type {
  CreateEndpointOptions,
  CreateNetworkOptions,
  CreateSandboxOptions,
  EndpointInfo,
  JoinOptions,
  NetworkInfo,
  SandboxInfo,
} from './model.js'
import { InvalidConfigError } from './errors.js'
import { GlobalSync } from './global-sync.js'
import { Records } from './records.js'
import { clusterEndpoints, isShared } from './shared.js'
import { checkRemoteRecords, type RemoteNameRecord } from './remote.js'
import { Drivers, Ipams } from './registry.js'
import { restoreAll, type RestoreSummary } from './restore.js'
import { createSandbox, deleteSandbox, findSandbox, join, leave } from './sandboxes.js'
import { snapshot, type DiscoveryHooks, type State } from './state.js'
import { Teardowns } from './teardown.js'
import { Mutex } from './undo.js'

export interface ControllerOptions {
  /** Network drivers by type name, e.g. `{ bridge: bridge(), host: hostDriver() }`. */
  drivers: Record<string, DriverFactory>
  /** Finds drivers not in `drivers` by type name on first use (plugins). */
  driverResolver?: DriverResolver
  /**
   * IPAM drivers by name; a network uses `default` unless it names another, or `null` (built
   * in: no addresses) when its driver's capability says it needs no IPAM.
   */
  ipams?: Record<string, IpamFactory>
  /** Finds IPAMs not in `ipams` by name on first use (plugins). */
  ipamResolver?: IpamResolver
  /**
   * This host's store: networks, endpoints and sandboxes (JSON records under `storePrefix`);
   * an in-memory store when absent. The controller closes it at `stop()`.
   */
  store?: KVStore
  /**
   * The cluster's store (etcd): records of `global`-scope networks. Without it they are kept in
   * `store`. Shared, so the controller never closes it.
   */
  globalStore?: KVStore
  /** Key prefix of the records (default `libnetwork/controller/v1/`). */
  storePrefix?: string
  /**
   * The cluster's gossip tables: drivers get them as a component, and the controller feeds
   * each driver the events of the tables its capability names (`onTableEvent`).
   */
  cluster?: ClusterTables
  /** Where the controller and the drivers and IPAMs it builds log; silent when absent. */
  logger?: Logger
  /** The sandbox (network namespace) layer. */
  os: SandboxOS
  /** Prefix of sandbox namespace names (default `lnsb-`); restore removes unknown ones with it. */
  namespacePrefix?: string
  /** Service discovery hooks (hosts files, resolv.conf, resolver). */
  discovery?: DiscoveryHooks
}

const noDiscovery: DiscoveryHooks = {
  sandboxCreated: async () => ({}),
  sandboxDeleted: async () => {},
  joined: async () => {},
  left: async () => {},
}

/**
 * The Container Network Model controller: networks of drivers, endpoints on networks, sandboxes
 * (network namespaces) that endpoints join. Every operation is serialised, persisted, undone on
 * failure, and announced as a typed event.
 */
export class Controller {
  readonly #s: State
  /** Held by every operation (FIFO). */
  readonly #ops = new Mutex()
  /**
   * Held by operations that touch drivers, IPAMs or the kernel, and by background work
   * (Teardowns). An operation takes `#ops`, then this.
   */
  readonly #lock: Mutex
  #restore: RestoreSummary | undefined
  /** Mirrors the global store's networks (only with a global store). */
  #sync: GlobalSync | undefined

  private constructor(s: State, lock: Mutex) {
    this.#s = s
    this.#lock = lock
  }

  #run<T>(fn: () => Promise<T>): Promise<T> {
    return this.#ops.run(() => this.#lock.run(fn))
  }

  /** Build a controller, load the store and reconcile the kernel with it. */
  static async start(o: ControllerOptions): Promise<Controller> {
    const logger = o.logger ?? noopLogger
    const localStore = o.store ?? memoryStore()
    const { globalStore, cluster } = o
    const drivers = new Drivers(o.drivers, o.driverResolver, {
      logger,
      localStore,
      ...(globalStore ? { globalStore } : {}),
      ...(cluster ? { cluster } : {}),
    })
    const ipams = new Ipams(o.ipams ?? {}, o.ipamResolver, {
      logger,
      localStore,
      ...(globalStore ? { globalStore } : {}),
    })
    const lock = new Mutex()
    const c = new Controller(
      {
        networks: new Map(),
        endpoints: new Map(),
        sandboxes: new Map(),
        drivers,
        ipams,
        records: new Records(localStore, globalStore, o.storePrefix ?? 'libnetwork/controller/v1/'),
        logger,
        os: o.os,
        emitter: new TypedEmitter(),
        namespacePrefix: o.namespacePrefix ?? 'lnsb-',
        discovery: o.discovery ?? noDiscovery,
        teardowns: new Teardowns((fn) => lock.run(fn)),
      },
      lock,
    )
    try {
      // Every statically given driver is built now: its restore reconciles the kernel even
      // when no record names it. Resolved ones are built when a record or a create names them.
      await drivers.loadStatic()
      c.#restore = await restoreAll(c.#s)
      if (c.#s.records.hasGlobal) {
        c.#sync = new GlobalSync(c.#s, (fn) => c.#run(fn))
        c.#sync.start()
      }
    } catch (err) {
      drivers.closeWatches()
      throw err
    }
    return c
  }

  /**
   * With a global store: list the global networks' records now and make this host's view
   * match (added and removed as on other hosts). The controller does this by itself at start
   * and whenever its watch of the store failed; a caller may ask for it too. Store unreachable:
   * UnavailableError.
   */
  resync(): Promise<void> {
    const sync = this.#sync
    if (!sync) return Promise.resolve()
    return this.#run(() => sync.resync())
  }

  /** What the start-up restore found. */
  get restoreSummary(): RestoreSummary {
    return this.#restore!
  }

  on<K extends ControllerEventName>(name: K, listener: Listener<K>): () => void {
    return this.#s.emitter.on(name, listener)
  }

  /**
   * Create a network. `opts.signal` is passed to the driver and IPAM calls (an aborted create
   * is undone like a failed one).
   */
  createNetwork(o: CreateNetworkOptions, opts?: OperationOptions): Promise<NetworkInfo> {
    return this.#run(() => createNetwork(this.#s, o, opts))
  }
  /**
   * Delete a network by id, name or id prefix; it must have no endpoints. Resolves once the
   * network is gone from the controller's view and its record is marked; the driver, the pools
   * and the record follow in the background, ahead of any later createNetwork (`settled()`
   * waits for them, a restart finishes them). Needs only the operations' lock, so it does not
   * wait behind background work.
   */
  deleteNetwork(ref: string): Promise<void> {
    return this.#ops.run(() => deleteNetwork(this.#s, ref))
  }
  network(ref: string): NetworkInfo {
    return snapshot(findNetwork(this.#s, ref).info)
  }
  networks(): NetworkInfo[] {
    return [...this.#s.networks.values()].map((n) => snapshot(n.info))
  }

  createEndpoint(
    network: string,
    o: CreateEndpointOptions,
    opts?: OperationOptions,
  ): Promise<EndpointInfo> {
    return this.#run(() => createEndpoint(this.#s, network, o, opts))
  }
  deleteEndpoint(ref: string, opts?: OperationOptions): Promise<void> {
    return this.#run(() => deleteEndpoint(this.#s, ref, opts))
  }
  endpoint(ref: string): EndpointInfo {
    return snapshot(findEndpoint(this.#s, ref))
  }
  /** An endpoint of `network` (id, name or prefix) by id, name or unique id prefix. */
  endpointOf(network: string, ref: string): EndpointInfo {
    return snapshot(findEndpointOf(this.#s, findNetwork(this.#s, network).info.id, ref))
  }
  endpoints(network?: string): EndpointInfo[] {
    const nid = network === undefined ? undefined : findNetwork(this.#s, network).info.id
    return [...this.#s.endpoints.values()]
      .filter((e) => nid === undefined || e.networkId === nid)
      .map((e) => snapshot(e))
  }
  /**
   * The endpoints of `network` (every network if absent) on every host: this host's, and with a
   * `globalStore`, other hosts' endpoints on shared global networks (as their records in the
   * global store say: the state at their creation). Store unreachable: UnavailableError.
   */
  async clusterEndpoints(network?: string): Promise<EndpointInfo[]> {
    const local = this.endpoints(network)
    const n = network === undefined ? undefined : findNetwork(this.#s, network)
    if (!this.#s.records.hasGlobal || (n && !isShared(this.#s, n.info))) return local
    const here = new Set(local.map((e) => e.id))
    const remote = await clusterEndpoints(this.#s, n?.info.id)
    return [...local, ...remote.filter((e) => !here.has(e.id) && this.#s.networks.has(e.networkId))]
  }
  /** The driver's operational view of an endpoint (MAC, bound ports, driver facts). */
  async endpointOperInfo(ref: string): Promise<Record<string, unknown>> {
    const ep = findEndpoint(this.#s, ref)
    const n = this.#s.networks.get(ep.networkId)!
    return n.driver.endpointOperInfo({ networkId: n.info.id, endpointId: ep.id })
  }

  createSandbox(o: CreateSandboxOptions): Promise<SandboxInfo> {
    return this.#run(() => createSandbox(this.#s, o))
  }
  /** Leave every joined endpoint, then remove the sandbox's namespace. */
  deleteSandbox(ref: string): Promise<void> {
    return this.#run(() => deleteSandbox(this.#s, ref))
  }
  sandbox(ref: string): SandboxInfo {
    return snapshot(findSandbox(this.#s, ref))
  }
  sandboxes(): SandboxInfo[] {
    return [...this.#s.sandboxes.values()].map((s) => snapshot(s))
  }

  /** Attach an endpoint to a sandbox (network connect), with join-time `aliases`. */
  join(endpoint: string, sandbox: string, o?: JoinOptions, opts?: OperationOptions): Promise<void> {
    return this.#run(() => join(this.#s, endpoint, sandbox, o, opts))
  }
  /** Detach an endpoint from its sandbox (network disconnect). */
  leave(endpoint: string, sandbox: string, opts?: OperationOptions): Promise<void> {
    return this.#run(() => leave(this.#s, endpoint, sandbox, opts))
  }

  /**
   * Other hosts' endpoints on network `networkId` (e.g. from the cluster's endpoint_table):
   * every sandbox here on that network resolves their names (A, AAAA, PTR) and aliases (A,
   * AAAA) through its embedded DNS, until they are `removed` (by endpoint id). Records of a
   * network no sandbox here is on are kept and served when one joins. A malformed record:
   * InvalidConfigError, nothing changed.
   */
  async setRemoteRecords(
    networkId: string,
    added: RemoteNameRecord[],
    removed: RemoteNameRecord[] = [],
  ): Promise<void> {
    if (typeof networkId !== 'string' || networkId === '') {
      throw new InvalidConfigError('networkId', 'must be a non-empty string')
    }
    const a = checkRemoteRecords('added', added)
    const r = checkRemoteRecords('removed', removed)
    await this.#ops.run(async () => {
      await this.#s.discovery.remoteRecords?.(networkId, a, r)
    })
  }

  /**
   * Resolves when the background part of every leave so far is done: the kernel deleted the
   * interfaces, the drivers ran their leave (and deleteEndpoint), and each driver finished its
   * own background work (e.g. the bridge driver's queued port removals), deleted networks are
   * gone from the drivers, the IPAMs and the store, and the files and namespaces of deleted
   * sandboxes are removed. Throws if a background step failed since the last call.
   */
  async settled(): Promise<void> {
    await this.#s.teardowns.settled()
    for (const [, d] of this.#s.drivers.entries()) await d.settled?.()
    await this.#s.discovery.settled?.()
    await this.#s.os.settled?.()
  }

  /**
   * Finish pending leaves and network deletions, stop drivers, close the sandbox layer and the
   * store. Networks and sandboxes stay in the kernel for a restart.
   */
  async stop(): Promise<void> {
    await this.#sync?.stop()
    await this.#run(async () => {
      await this.#s.teardowns.finishAll()
      await this.#s.teardowns.finishNetworks()
      this.#s.drivers.closeWatches()
      for (const [, d] of this.#s.drivers.entries()) await d.stop()
      await this.#s.discovery.stop?.()
      await this.#s.os.close?.()
      await this.#s.records.close()
    })
  }
}
