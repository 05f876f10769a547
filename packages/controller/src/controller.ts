import type { Driver, DriverComponents, DriverFactory, RestoreReport } from '@libnetwork/driverapi'
import type { ControllerStore, IpamFactory, SandboxOS } from './contracts.js'
import { TypedEmitter, type ControllerEventName, type Listener } from './events.js'
import { memoryStore } from './memory-store.js'
import {
  createEndpoint,
  deleteEndpoint,
  findEndpoint,
  restoreEndpointAddresses,
} from './endpoints.js'
import { createNetwork, deleteNetwork, findNetwork, restoreNetworkPools } from './networks.js'
import {
  endpointFromRecord,
  networkFromRecord,
  sandboxFromRecord,
  type CreateEndpointOptions,
  type CreateNetworkOptions,
  type CreateSandboxOptions,
  type EndpointInfo,
  type JoinOptions,
  type NetworkInfo,
  type SandboxInfo,
} from './model.js'
import {
  createSandbox,
  deleteSandbox,
  findSandbox,
  join,
  leave,
  restoreJoined,
} from './sandboxes.js'
import { keys, save, snapshot, type DiscoveryHooks, type State } from './state.js'
import { Teardowns } from './teardown.js'
import { Mutex } from './undo.js'

export interface ControllerOptions {
  /** Network drivers by type name, e.g. `{ bridge: bridge(), host: host(), null: nullDriver() }`. */
  drivers: Record<string, DriverFactory>
  /** IPAM drivers by name; networks use `default` unless they name another (`null` is built in). */
  ipams?: Record<string, IpamFactory>
  /** Where networks, endpoints and sandboxes are kept; in memory when absent. */
  store?: ControllerStore
  /** The sandbox (network namespace) layer. */
  os: SandboxOS
  /** Prefix of sandbox namespace names (default `lnsb-`); restore removes unknown ones with it. */
  namespacePrefix?: string
  /** Components handed to every driver factory. */
  driverComponents?: DriverComponents
  /** Service discovery hooks (hosts files, resolv.conf, resolver). */
  discovery?: DiscoveryHooks
}

/** What a restart found and repaired. */
export interface RestoreSummary {
  networks: number
  endpoints: number
  sandboxes: number
  /** Stale things removed or records repaired by the controller. */
  repaired: string[]
  /** Per driver, what it removed and re-created in the kernel. */
  drivers: Record<string, RestoreReport>
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
  readonly #mutex: Mutex
  #restore: RestoreSummary | undefined

  private constructor(s: State, mutex: Mutex) {
    this.#s = s
    this.#mutex = mutex
  }

  /** Build a controller, load the store and reconcile the kernel with it. */
  static async start(o: ControllerOptions): Promise<Controller> {
    const drivers = new Map<string, Driver>()
    for (const [name, factory] of Object.entries(o.drivers))
      drivers.set(name, factory(o.driverComponents ?? {}))
    const ipams = new Map(Object.entries(o.ipams ?? {}).map(([k, f]) => [k, f()]))
    const mutex = new Mutex()
    const c = new Controller(
      {
        networks: new Map(),
        endpoints: new Map(),
        sandboxes: new Map(),
        drivers,
        ipams,
        store: o.store ?? memoryStore(),
        os: o.os,
        emitter: new TypedEmitter(),
        namespacePrefix: o.namespacePrefix ?? 'lnsb-',
        discovery: o.discovery ?? noDiscovery,
        teardowns: new Teardowns((fn) => mutex.run(fn)),
      },
      mutex,
    )
    c.#restore = await c.#restoreAll()
    return c
  }

  /** What the start-up restore found. */
  get restoreSummary(): RestoreSummary {
    return this.#restore!
  }

  on<K extends ControllerEventName>(name: K, listener: Listener<K>): () => void {
    return this.#s.emitter.on(name, listener)
  }

  createNetwork(o: CreateNetworkOptions): Promise<NetworkInfo> {
    return this.#mutex.run(() => createNetwork(this.#s, o))
  }
  /** Delete a network by id, name or id prefix; it must have no endpoints. */
  deleteNetwork(ref: string): Promise<void> {
    return this.#mutex.run(() => deleteNetwork(this.#s, ref))
  }
  network(ref: string): NetworkInfo {
    return snapshot(findNetwork(this.#s, ref).info)
  }
  networks(): NetworkInfo[] {
    return [...this.#s.networks.values()].map((n) => snapshot(n.info))
  }

  createEndpoint(network: string, o: CreateEndpointOptions): Promise<EndpointInfo> {
    return this.#mutex.run(() => createEndpoint(this.#s, network, o))
  }
  deleteEndpoint(ref: string): Promise<void> {
    return this.#mutex.run(() => deleteEndpoint(this.#s, ref))
  }
  endpoint(ref: string): EndpointInfo {
    return snapshot(findEndpoint(this.#s, ref))
  }
  endpoints(network?: string): EndpointInfo[] {
    const nid = network === undefined ? undefined : findNetwork(this.#s, network).info.id
    return [...this.#s.endpoints.values()]
      .filter((e) => nid === undefined || e.networkId === nid)
      .map((e) => snapshot(e))
  }
  /** The driver's operational view of an endpoint (MAC, bound ports, driver facts). */
  async endpointOperInfo(ref: string): Promise<Record<string, unknown>> {
    const ep = findEndpoint(this.#s, ref)
    const n = this.#s.networks.get(ep.networkId)!
    return this.#s.drivers
      .get(n.info.driver)!
      .endpointOperInfo({ networkId: n.info.id, endpointId: ep.id })
  }

  createSandbox(o: CreateSandboxOptions): Promise<SandboxInfo> {
    return this.#mutex.run(() => createSandbox(this.#s, o))
  }
  /** Leave every joined endpoint, then remove the sandbox's namespace. */
  deleteSandbox(ref: string): Promise<void> {
    return this.#mutex.run(() => deleteSandbox(this.#s, ref))
  }
  sandbox(ref: string): SandboxInfo {
    return snapshot(findSandbox(this.#s, ref))
  }
  sandboxes(): SandboxInfo[] {
    return [...this.#s.sandboxes.values()].map((s) => snapshot(s))
  }

  /** Attach an endpoint to a sandbox (network connect). */
  join(endpoint: string, sandbox: string, o?: JoinOptions): Promise<void> {
    return this.#mutex.run(() => join(this.#s, endpoint, sandbox, o))
  }
  /** Detach an endpoint from its sandbox (network disconnect). */
  leave(endpoint: string, sandbox: string): Promise<void> {
    return this.#mutex.run(() => leave(this.#s, endpoint, sandbox))
  }

  /**
   * Resolves when the background part of every leave so far is done: the kernel deleted the
   * interfaces, the drivers ran their leave (and deleteEndpoint), and each driver finished its
   * own background work (e.g. the bridge driver's queued port removals), and the files and
   * namespaces of deleted sandboxes are removed. Throws if a background step failed since the
   * last call.
   */
  async settled(): Promise<void> {
    await this.#s.teardowns.settled()
    for (const d of this.#s.drivers.values()) await d.settled?.()
    await this.#s.discovery.settled?.()
    await this.#s.os.settled?.()
  }

  /**
   * Finish pending leaves, stop drivers, close the sandbox layer and the store. Networks and
   * sandboxes stay in the kernel for a restart.
   */
  async stop(): Promise<void> {
    await this.#mutex.run(async () => {
      await this.#s.teardowns.finishAll()
      for (const d of this.#s.drivers.values()) await d.stop()
      await this.#s.discovery.stop?.()
      await this.#s.os.close?.()
      await this.#s.store.close?.()
    })
  }

  async #restoreAll(): Promise<RestoreSummary> {
    const s = this.#s
    const repaired: string[] = []
    for (const { key, value } of await s.store.list('network/')) {
      const info = networkFromRecord(value as Record<string, unknown>)
      if (!s.drivers.has(info.driver)) {
        repaired.push(`network ${info.name}: driver ${info.driver} missing, not loaded`)
        continue
      }
      s.networks.set(info.id, await restoreNetworkPools(s, info))
      void key
    }
    for (const { value } of await s.store.list('endpoint/')) {
      const ep = endpointFromRecord(value as Record<string, unknown>)
      if (!s.networks.has(ep.networkId)) {
        repaired.push(`endpoint ${ep.name}: network gone, record removed`)
        await s.store.delete(keys.endpoint(ep.id))
        continue
      }
      await restoreEndpointAddresses(s, ep)
      s.endpoints.set(ep.id, ep)
    }
    const live = new Set(await s.os.list(s.namespacePrefix))
    for (const { value } of await s.store.list('sandbox/')) {
      const sb = sandboxFromRecord(value as Record<string, unknown>)
      if (sb.key && !live.has(sb.key)) {
        repaired.push(`sandbox ${sb.containerId}: namespace gone, removed`)
        await s.store.delete(keys.sandbox(sb.id))
        continue
      }
      if (sb.key) live.delete(sb.key)
      s.sandboxes.set(sb.id, sb)
    }
    for (const key of live) {
      repaired.push(`namespace ${key}: no sandbox record, removed`)
      await s.os.destroy(key)
    }
    // Joined state: an endpoint is joined when its record says so, its sandbox exists and the
    // interface is in the sandbox (or the sandbox uses the host network).
    const deletions: Promise<void>[] = []
    for (const sb of s.sandboxes.values()) {
      const ifaces = sb.key ? new Set(await s.os.interfaces(sb.key)) : new Set<string>()
      const members = [...s.endpoints.values()].filter((e) => e.sandboxId === sb.id)
      const ok = members.filter((e) => !sb.key || (e.ifName !== undefined && ifaces.has(e.ifName)))
      const okIds = new Set(ok.map((e) => e.id))
      for (const e of members) if (!okIds.has(e.id)) e.sandboxId = undefined
      const order = [
        ...sb.endpoints.filter((id) => okIds.has(id)),
        ...ok.map((e) => e.id).filter((id) => !sb.endpoints.includes(id)),
      ]
      if (order.join() !== sb.endpoints.join())
        repaired.push(`sandbox ${sb.containerId}: endpoint list repaired`)
      sb.endpoints = order
      for (const name of ifaces) {
        if (!ok.some((e) => e.ifName === name)) {
          repaired.push(`sandbox ${sb.containerId}: stray interface ${name} removed`)
          deletions.push((await s.os.removeInterface(sb.key!, name)).deleted)
        }
      }
      if (sb.gatewayEndpoint && !okIds.has(sb.gatewayEndpoint)) sb.gatewayEndpoint = undefined
      order.forEach((eid, i) => restoreJoined(s, sb, s.endpoints.get(eid)!, i))
      await save.sandbox(s, sb)
    }
    for (const e of s.endpoints.values()) {
      if (e.sandboxId && !s.sandboxes.has(e.sandboxId)) e.sandboxId = undefined
      if (!e.sandboxId && (e.ifName || e.boundPorts.length > 0)) {
        repaired.push(`endpoint ${e.name}: half-joined state cleared`)
        e.ifName = undefined
        e.boundPorts = []
        await save.endpoint(s, e)
      }
    }
    // The kernel has deleted the strays before the drivers look at their links.
    for (const r of await Promise.allSettled(deletions))
      if (r.status === 'rejected') repaired.push(`stray interface not deleted: ${String(r.reason)}`)
    const drivers: Record<string, RestoreReport> = {}
    for (const [type, driver] of s.drivers) {
      const nets = [...s.networks.values()].filter((n) => n.info.driver === type)
      const ids = new Set(nets.map((n) => n.info.id))
      drivers[type] = await driver.restore({
        networks: nets.map((n) => ({
          networkId: n.info.id,
          name: n.info.name,
          options: n.parsed,
          ipv4: n.info.ipv4.map((sub, i) => ({
            pool: sub.subnet,
            gateway: n.v4[i]?.gateway,
            auxAddresses: sub.auxAddresses,
          })),
          ipv6: n.info.ipv6.map((sub, i) => ({
            pool: sub.subnet,
            gateway: n.v6[i]?.gateway,
            auxAddresses: sub.auxAddresses,
          })),
          enableIPv6: n.info.enableIPv6,
          internal: n.info.internal,
          labels: n.info.labels,
        })),
        endpoints: [...s.endpoints.values()]
          .filter((e) => ids.has(e.networkId))
          .map((e) => ({
            networkId: e.networkId,
            endpointId: e.id,
            iface: { address: e.address, addressIPv6: e.addressIPv6, mac: e.mac },
            options: { exposedPorts: e.exposedPorts, portBindings: e.portBindings },
            sandboxKey: e.sandboxId ? s.sandboxes.get(e.sandboxId)!.path : undefined,
            boundPorts: e.boundPorts,
          })),
      })
    }
    for (const sb of s.sandboxes.values()) {
      Object.assign(sb, await s.discovery.sandboxCreated(sb))
      for (const eid of sb.endpoints) {
        const ep = s.endpoints.get(eid)!
        await s.discovery.joined(sb, ep, s.networks.get(ep.networkId)!.info)
      }
    }
    return {
      networks: s.networks.size,
      endpoints: s.endpoints.size,
      sandboxes: s.sandboxes.size,
      repaired,
      drivers,
    }
  }
}
