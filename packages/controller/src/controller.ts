import type { Driver, DriverComponents, DriverFactory, RestoreReport } from '@libnetwork/driverapi'
import type { ControllerStore, IpamFactory, SandboxOS } from './contracts.js'
import { TypedEmitter, type ControllerEventName, type Listener } from './events.js'
import { memoryStore } from './memory-store.js'
import {
  createEndpoint,
  deleteEndpoint,
  findEndpoint,
  findEndpointOf,
  restoreEndpointAddresses,
} from './endpoints.js'
import {
  createNetwork,
  DELETING,
  deleteNetwork,
  findNetwork,
  finishNetworkDelete,
  restoreNetworkPools,
} from './networks.js'
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
import { keys, save, snapshot, type DiscoveryHooks, type NetRuntime, type State } from './state.js'
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
  /** Held by every operation (FIFO). */
  readonly #ops = new Mutex()
  /**
   * Held by operations that touch drivers, IPAMs or the kernel, and by background work
   * (Teardowns). An operation takes `#ops`, then this.
   */
  readonly #lock: Mutex
  #restore: RestoreSummary | undefined

  private constructor(s: State, lock: Mutex) {
    this.#s = s
    this.#lock = lock
  }

  #run<T>(fn: () => Promise<T>): Promise<T> {
    return this.#ops.run(() => this.#lock.run(fn))
  }

  /** Build a controller, load the store and reconcile the kernel with it. */
  static async start(o: ControllerOptions): Promise<Controller> {
    const drivers = new Map<string, Driver>()
    for (const [name, factory] of Object.entries(o.drivers))
      drivers.set(name, factory(o.driverComponents ?? {}))
    const ipams = new Map(Object.entries(o.ipams ?? {}).map(([k, f]) => [k, f()]))
    const lock = new Mutex()
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
        teardowns: new Teardowns((fn) => lock.run(fn)),
      },
      lock,
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
    return this.#run(() => createNetwork(this.#s, o))
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

  createEndpoint(network: string, o: CreateEndpointOptions): Promise<EndpointInfo> {
    return this.#run(() => createEndpoint(this.#s, network, o))
  }
  deleteEndpoint(ref: string): Promise<void> {
    return this.#run(() => deleteEndpoint(this.#s, ref))
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
  /** The driver's operational view of an endpoint (MAC, bound ports, driver facts). */
  async endpointOperInfo(ref: string): Promise<Record<string, unknown>> {
    const ep = findEndpoint(this.#s, ref)
    const n = this.#s.networks.get(ep.networkId)!
    return this.#s.drivers
      .get(n.info.driver)!
      .endpointOperInfo({ networkId: n.info.id, endpointId: ep.id })
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

  /** Attach an endpoint to a sandbox (network connect). */
  join(endpoint: string, sandbox: string, o?: JoinOptions): Promise<void> {
    return this.#run(() => join(this.#s, endpoint, sandbox, o))
  }
  /** Detach an endpoint from its sandbox (network disconnect). */
  leave(endpoint: string, sandbox: string): Promise<void> {
    return this.#run(() => leave(this.#s, endpoint, sandbox))
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
    for (const d of this.#s.drivers.values()) await d.settled?.()
    await this.#s.discovery.settled?.()
    await this.#s.os.settled?.()
  }

  /**
   * Finish pending leaves and network deletions, stop drivers, close the sandbox layer and the
   * store. Networks and sandboxes stay in the kernel for a restart.
   */
  async stop(): Promise<void> {
    await this.#run(async () => {
      await this.#s.teardowns.finishAll()
      await this.#s.teardowns.finishNetworks()
      for (const d of this.#s.drivers.values()) await d.stop()
      await this.#s.discovery.stop?.()
      await this.#s.os.close?.()
      await this.#s.store.close?.()
    })
  }

  async #restoreAll(): Promise<RestoreSummary> {
    const s = this.#s
    const repaired: string[] = []
    // Networks whose deletion was answered but not finished: the drivers get them back (so
    // they know what to delete), then the deletion is redone.
    const deleting: NetRuntime[] = []
    for (const { value } of await s.store.list('network/')) {
      const info = networkFromRecord(value as Record<string, unknown>)
      if (!s.drivers.has(info.driver)) {
        repaired.push(`network ${info.name}: driver ${info.driver} missing, not loaded`)
        continue
      }
      const rt = await restoreNetworkPools(s, info)
      if ((value as Record<string, unknown>)[DELETING] === true) deleting.push(rt)
      else s.networks.set(info.id, rt)
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
      const nets = [...s.networks.values(), ...deleting].filter((n) => n.info.driver === type)
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
    for (const n of deleting) {
      try {
        await finishNetworkDelete(s, n)
        repaired.push(`network ${n.info.name}: deletion finished`)
      } catch (err) {
        repaired.push(`network ${n.info.name}: deletion failed again: ${String(err)}`)
      }
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
