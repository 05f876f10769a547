import {
  AlreadyExistsError,
  DriverForbiddenError,
  EndpointNotFoundError,
  NetworkNotFoundError,
  type BoundPort,
  type Driver,
  type DriverFactory,
  type OperationOptions,
} from '@libnetwork/driverapi'
import { PortAllocator } from '@libnetwork/portallocator'
import type { PlacedRule } from './firewall.js'
import type { BridgeKernel } from './kernel.js'
import { BadRequestError, type Logger } from '@libnetwork/types'
import type { BridgeDeps, BridgeDriverConfig } from './config.js'
import { netlinkKernel } from './netlink-kernel.js'
import { aliasOf, macFor, newEp, newNet, type Ep, type Net } from './model.js'
import { reconcile } from './restore.js'
import { parseBridgeOptions, type BridgeNetworkOptions } from './options.js'
import { Netfilter } from './netfilter.js'
import { boundPort } from './ports.js'

/**
 * A factory for the bridge driver: `config` holds the user's choices, `deps` the collaborators
 * the composer owns (namespace, kernel, iptables runner, port allocator); the logger comes
 * with the driver components.
 */
export function bridge(config: BridgeDriverConfig = {}, deps: BridgeDeps = {}): DriverFactory {
  if (config.owner !== undefined && !/^[A-Za-z0-9_.-]{1,32}$/.test(config.owner)) {
    throw new BadRequestError('invalid-owner', 'bridge owner must be 1-32 of [A-Za-z0-9_.-]', {
      details: { owner: config.owner },
    })
  }
  return (components) => new BridgeDriver(config, deps, components.logger)
}

/** Reject before any change when the caller gave up already. */
const check = (opts: OperationOptions | undefined) => opts?.signal?.throwIfAborted()

class BridgeDriver implements Driver {
  readonly type = 'bridge'
  readonly capability = {
    dataScope: 'local',
    connectivityScope: 'local',
    needsIpam: true,
    sharesHostNetwork: false,
  } as const
  readonly #cfg: BridgeDriverConfig
  readonly #kernel: BridgeKernel
  readonly #ports: PortAllocator
  readonly #nets = new Map<string, Net>()
  readonly #proxy: boolean
  readonly #netfilter: Netfilter | undefined
  #init: Promise<void> | undefined
  /** Deleted networks whose rules and bridge are still being removed, by bridge name. */
  readonly #deleting = new Map<string, Promise<void>>()
  readonly #deleteFailures: unknown[] = []

  readonly #onError: (err: Error) => void

  constructor(cfg: BridgeDriverConfig, deps: BridgeDeps, logger: Logger | undefined) {
    this.#cfg = cfg
    this.#kernel = deps.kernel ?? netlinkKernel({ netns: deps.netns })
    this.#ports = deps.portAllocator ?? new PortAllocator()
    this.#proxy = cfg.userlandProxy !== false
    this.#onError = (err) =>
      logger?.error(`bridge driver: ${err.message}`, {
        driver: 'bridge',
        err: err.message,
        ...('code' in err ? { code: err.code } : {}),
      })
    if (cfg.iptables !== false) {
      this.#netfilter = new Netfilter({
        netns: deps.netns,
        ...(deps.iptablesRunner ? { runner: deps.iptablesRunner } : {}),
        ip6tables: cfg.ip6tables !== false,
        proxy: this.#proxy,
        allocator: this.#ports,
        ...(cfg.proxyOptions ? { proxyOptions: cfg.proxyOptions } : {}),
        onError: this.#onError,
      })
    }
  }

  parseNetworkOptions(raw: unknown): BridgeNetworkOptions {
    return parseBridgeOptions(raw)
  }

  #ready(): Promise<void> {
    this.#init ??= (async () => {
      if (this.#cfg.ipForward !== false) await this.#kernel.setSysctl('net.ipv4.ip_forward', '1')
      await this.#netfilter?.setup([])
    })().catch((err: unknown) => {
      this.#init = undefined
      throw err
    })
    return this.#init
  }

  /** Change one family's rules (nothing when iptables is off). */
  async #firewall(
    change: { add?: PlacedRule[]; remove?: PlacedRule[] },
    family: 4 | 6 = 4,
  ): Promise<void> {
    await this.#netfilter?.update(change, family)
  }

  #net(id: string): Net {
    const n = this.#nets.get(id)
    if (!n) throw new NetworkNotFoundError(id)
    return n
  }

  #ep(networkId: string, endpointId: string): [Net, Ep] {
    const n = this.#net(networkId)
    const e = n.endpoints.get(endpointId)
    if (!e) throw new EndpointNotFoundError(networkId, endpointId)
    return [n, e]
  }

  async #plumbBridge(net: Net): Promise<void> {
    const addresses = [...net.ipv4, ...net.ipv6].flatMap((d) => (d.gateway ? [d.gateway] : []))
    await this.#kernel.ensureBridge({
      name: net.bridge,
      mtu: net.opts.mtu,
      addresses,
      alias: aliasOf(this.#cfg.owner, net.id),
    })
    // without the proxy, host-local traffic to 127.0.0.1 is DNATed into the bridge
    if (!net.internal && !this.#proxy)
      await this.#kernel.setSysctl(`net.ipv4.conf.${net.bridge}.route_localnet`, '1')
    if (net.ipv6.length > 0 && this.#cfg.ipForward !== false)
      await this.#kernel.setSysctl('net.ipv6.conf.all.forwarding', '1')
  }

  async createNetwork(
    req: Parameters<Driver['createNetwork']>[0],
    opts?: OperationOptions,
  ): Promise<void> {
    check(opts)
    if (this.#nets.has(req.networkId)) throw new AlreadyExistsError('network', req.networkId)
    const net = newNet(this.#cfg, { ...req, options: req.options ?? parseBridgeOptions({}) })
    for (const other of this.#nets.values()) {
      if (other.bridge === net.bridge)
        throw new AlreadyExistsError('network', `bridge ${net.bridge}`)
    }
    await this.#ready()
    // A deleted network's bridge of the same name must be gone before this one is made.
    await this.#deleting.get(net.bridge)
    check(opts)
    if (this.#nets.has(req.networkId)) throw new AlreadyExistsError('network', req.networkId)
    const existed = (await this.#kernel.links()).some((l) => l.name === net.bridge)
    let added4 = false
    try {
      await this.#plumbBridge(net)
      await this.#firewall({ add: net.rules })
      added4 = true
      await this.#firewall({ add: net.rules6 }, 6)
    } catch (err) {
      if (added4) await this.#firewall({ remove: net.rules }).catch(() => undefined)
      if (!existed) await this.#kernel.deleteLink(net.bridge).catch(() => undefined)
      throw err
    }
    this.#nets.set(net.id, net)
  }

  /**
   * Forget the network and remove its rules and bridge in the background; both wait on the
   * kernel (iptables-restore's commit, the device's unregistering: 40-70 ms). Rule updates are
   * serialised per family, so a later network's rules go in after these removals; a network
   * re-using the bridge name waits for the device to go. `settled()` waits for all of it and
   * reports a failure; whatever a failure left behind, the next `restore` removes.
   */
  async deleteNetwork(req: { networkId: string }, opts?: OperationOptions): Promise<void> {
    check(opts)
    const net = this.#net(req.networkId)
    // (its endpoints are gone: deleteEndpoint waited for their port removals)
    if (net.endpoints.size > 0)
      throw new DriverForbiddenError(
        'bridge',
        `network ${net.id} still has ${net.endpoints.size} endpoint(s)`,
      )
    this.#nets.delete(net.id)
    const removal = Promise.allSettled([
      this.#firewall({ remove: net.rules }),
      this.#firewall({ remove: net.rules6 }, 6),
      net.opts.defaultBridge ? Promise.resolve() : this.#kernel.deleteLink(net.bridge),
    ]).then((done) => {
      for (const r of done) {
        if (r.status === 'fulfilled') continue
        this.#deleteFailures.push(r.reason)
        this.#onError(r.reason instanceof Error ? r.reason : new Error(String(r.reason)))
      }
    })
    this.#deleting.set(net.bridge, removal)
    void removal.then(() => {
      if (this.#deleting.get(net.bridge) === removal) this.#deleting.delete(net.bridge)
    })
  }

  /** Wait for the background removals of deleted networks. */
  async #deletions(): Promise<void> {
    while (this.#deleting.size > 0) await Promise.all(this.#deleting.values())
  }

  async createEndpoint(req: Parameters<Driver['createEndpoint']>[0], opts?: OperationOptions) {
    check(opts)
    const net = this.#net(req.networkId)
    if (net.endpoints.has(req.endpointId)) throw new AlreadyExistsError('endpoint', req.endpointId)
    const iface = { ...req.iface, mac: req.iface.mac ?? macFor(req.iface.address) }
    const ep = newEp(req.endpointId, iface, req.options)
    // The veth pair is made on join, with its container end created right inside the sandbox.
    net.endpoints.set(ep.id, ep)
    return { iface }
  }

  /**
   * Hairpin only matters for a container reaching its own published ports by NAT; with the
   * userland proxy that traffic goes through the proxy instead (as upstream).
   */
  #hairpin(ep: Ep): boolean {
    return !this.#proxy && this.#cfg.hairpin !== false && (ep.options.portBindings?.length ?? 0) > 0
  }

  #veth(net: Net, ep: Ep, sandboxKey: string): Promise<void> {
    return this.#kernel.createVeth({
      host: ep.host,
      peer: ep.peer,
      peerNetns: sandboxKey,
      peerMac: ep.iface.mac,
      mtu: net.opts.mtu,
      master: net.bridge,
      alias: aliasOf(this.#cfg.owner, ep.id),
      hairpin: this.#hairpin(ep),
    })
  }

  async deleteEndpoint(
    req: { networkId: string; endpointId: string },
    opts?: OperationOptions,
  ): Promise<void> {
    check(opts)
    const [net, ep] = this.#ep(req.networkId, req.endpointId)
    if (ep.ports.length > 0) await this.revokeExternalConnectivity(req)
    // the container's address may be handed out again once we return: no DNAT rule may still
    // point at it
    await ep.unmapping
    if (ep.stale.length > 0) {
      await this.#netfilter?.publisher?.unmap(ep.stale)
      ep.stale = []
    }
    await this.#kernel.deleteLink(ep.host)
    net.endpoints.delete(ep.id)
  }

  async endpointOperInfo(req: { networkId: string; endpointId: string }) {
    const [net, ep] = this.#ep(req.networkId, req.endpointId)
    return {
      mac: ep.iface.mac,
      portBindings: ep.ports,
      exposedPorts: ep.options.exposedPorts ?? [],
      bridge: net.bridge,
      hostInterface: ep.host,
      joined: ep.joined,
    }
  }

  async join(req: Parameters<Driver['join']>[0], opts?: OperationOptions) {
    check(opts)
    const [net, ep] = this.#ep(req.networkId, req.endpointId)
    if (ep.joined) throw new AlreadyExistsError('endpoint', `${ep.id} (joined)`)
    await this.#veth(net, ep, req.sandboxKey)
    ep.joined = true
    return {
      interfaces: [{ srcName: ep.peer, dstPrefix: net.opts.containerIfacePrefix, inSandbox: true }],
      gateway: net.internal ? undefined : net.ipv4[0]?.gateway?.ip,
      gatewayIPv6: net.internal ? undefined : net.ipv6[0]?.gateway?.ip,
      staticRoutes: [],
      disableGatewayService: net.internal,
    }
  }

  async leave(
    req: { networkId: string; endpointId: string },
    opts?: OperationOptions,
  ): Promise<void> {
    check(opts)
    const [, ep] = this.#ep(req.networkId, req.endpointId)
    // The sandbox layer deleted the container end (and the pair with it) unless a join failed
    // half-way: make sure the host end is gone too.
    await this.#kernel.deleteLink(ep.host)
    ep.joined = false
  }

  async programExternalConnectivity(
    req: Parameters<Driver['programExternalConnectivity']>[0],
    opts?: OperationOptions,
  ): Promise<BoundPort[]> {
    check(opts)
    const [net, ep] = this.#ep(req.networkId, req.endpointId)
    if (net.internal || !ep.iface.address || ep.ports.length > 0) return ep.ports
    const bindings = req.options.portBindings ?? []
    await this.#ready()
    check(opts)
    const publisher = this.#netfilter?.publisher
    if (bindings.length === 0 || !publisher) return ep.ports
    const mappings = await publisher.map(
      {
        bridge: net.bridge,
        containerIP: ep.iface.address.ip,
        ...(ep.iface.addressIPv6 && this.#netfilter?.ipv6
          ? { containerIPv6: ep.iface.addressIPv6.ip }
          : {}),
        ...(net.opts.hostBindingIPv4 ? { hostBindingIPv4: net.opts.hostBindingIPv4 } : {}),
      },
      bindings,
    )
    ep.mappings = mappings
    ep.ports = mappings.map(boundPort)
    return ep.ports
  }

  /**
   * The endpoint's ports leave service at once; their rules, proxy listeners and host ports
   * are removed in the background (iptables-nft deletes cost 17-40 ms of kernel wait), before
   * any later map, and before this endpoint's deleteEndpoint, deleteNetwork, stop or restore.
   */
  async revokeExternalConnectivity(
    req: { networkId: string; endpointId: string },
    opts?: OperationOptions,
  ): Promise<void> {
    check(opts)
    const [, ep] = this.#ep(req.networkId, req.endpointId)
    const publisher = this.#netfilter?.publisher
    const mappings = ep.mappings
    if (publisher && mappings.length > 0) {
      const previous = ep.unmapping
      const removal = publisher.unmapLater(mappings)
      ep.unmapping = (async () => {
        await previous
        if ((await removal) !== undefined) ep.stale.push(...mappings)
      })()
    }
    ep.ports = []
    ep.mappings = []
  }

  /**
   * Resolves when every background port removal and every deleted network's rule and bridge
   * removal so far is done; throws a failure of one.
   */
  async settled(): Promise<void> {
    await this.#netfilter?.publisher?.settled()
    for (const net of this.#nets.values())
      for (const ep of net.endpoints.values()) await ep.unmapping
    await this.#deletions()
    if (this.#deleteFailures.length > 0) {
      const failures = this.#deleteFailures.splice(0)
      throw failures[0] instanceof Error ? failures[0] : new Error(String(failures[0]))
    }
  }

  /** The userland proxy's process id while it runs (for inspection). */
  get proxyPid(): number | undefined {
    return this.#netfilter?.publisher?.proxyPid
  }

  async restore(state: Parameters<Driver['restore']>[0], opts?: OperationOptions) {
    check(opts)
    // removals still queued by the previous state go first (their failures were reported;
    // rebuilding the chains below removes whatever they left)
    await this.#deletions()
    await this.#netfilter?.idle()
    if (this.#cfg.ipForward !== false) await this.#kernel.setSysctl('net.ipv4.ip_forward', '1')
    this.#nets.clear()
    this.#ports.releaseAll()
    const report = await reconcile(
      {
        cfg: this.#cfg,
        kernel: this.#kernel,
        netfilter: this.#netfilter,
        nets: this.#nets,
        proxy: this.#proxy,
        plumbBridge: (net) => this.#plumbBridge(net),
        hairpin: (ep) => this.#hairpin(ep),
      },
      state,
    )
    this.#init = Promise.resolve()
    return report
  }

  /**
   * Finish queued port removals and stop the userland proxy. Networks, endpoints and their
   * rules stay for a restart.
   */
  async stop(): Promise<void> {
    await this.#deletions()
    await this.#netfilter?.stop()
  }
}
