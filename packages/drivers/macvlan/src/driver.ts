import {
  AlreadyExistsError,
  DriverForbiddenError,
  EndpointNotFoundError,
  NetworkNotFoundError,
  type CreateNetworkRequest,
  type Driver,
  type DriverComponents,
  type DriverFactory,
  type JoinResult,
  type OperationOptions,
  type RestoreReport,
  type RestoreState,
} from '@libnetwork/driverapi'
import {
  BadRequestError,
  ConflictError,
  NotFoundError,
  noopLogger,
  type Logger,
} from '@libnetwork/types'
import { netlinkMacvlanKernel, type MacvlanKernel } from './kernel.js'
import { ALIAS, dummyName, gatewayFor, macFor, newEp, type Ep, type Net } from './model.js'
import { checkShare, resolveParent } from './parent.js'
import { restoreNetworks } from './restore.js'
import { parseMacvlanOptions, vlanOf, type MacvlanNetworkOptions } from './options.js'

/** User configuration of the macvlan driver. */
export interface MacvlanDriverConfig {
  /** The named network namespace holding the parent interfaces (the "host"); default: ours. */
  netns?: string
  /** Kernel I/O; default rtnetlink in `netns` (`netlinkMacvlanKernel`). */
  kernel?: MacvlanKernel
}

/** A factory for the macvlan driver. */
export function macvlan(config: MacvlanDriverConfig = {}): DriverFactory {
  return (components) => new MacvlanDriver(config, components)
}

const TYPE = 'macvlan'

/** Reject before any change when the caller gave up already. */
const check = (o: OperationOptions | undefined) => o?.signal?.throwIfAborted()

class MacvlanDriver implements Driver {
  readonly type = TYPE
  readonly capability = {
    dataScope: 'local',
    // upstream: hosts on the same LAN reach each other's containers
    connectivityScope: 'global',
    needsIpam: true,
    sharesHostNetwork: false,
  } as const
  readonly #kernel: MacvlanKernel
  readonly #log: Logger
  readonly #nets = new Map<string, Net>()
  /** Network creations and deletions one at a time (their parent and subnet checks). */
  #queue: Promise<unknown> = Promise.resolve()

  constructor(cfg: MacvlanDriverConfig, components: DriverComponents | undefined) {
    this.#kernel = cfg.kernel ?? netlinkMacvlanKernel(cfg.netns ? { netns: cfg.netns } : {})
    this.#log = components?.logger ?? noopLogger
  }

  parseNetworkOptions(raw: unknown): MacvlanNetworkOptions {
    return parseMacvlanOptions(raw)
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => undefined)
    return run
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

  async createNetwork(req: CreateNetworkRequest, o?: OperationOptions): Promise<void> {
    check(o)
    return this.#serial(async () => {
      if (this.#nets.has(req.networkId)) throw new AlreadyExistsError('network', req.networkId)
      const opts = (req.options as MacvlanNetworkOptions | undefined) ?? parseMacvlanOptions({})
      const pools = [...req.ipv4, ...req.ipv6].map((d) => d.pool)
      // the parent's name is known before the kernel is asked: check sharing first
      const named = opts.parent ?? dummyName(req.networkId)
      checkShare(this.#nets.values(), { id: req.networkId, parent: named, opts }, pools)
      const { parent, owned } = await resolveParent(this.#kernel, req.networkId, opts)
      const alias = `${ALIAS}${req.networkId}`
      if (owned === 'dummy') await this.#kernel.createDummy({ name: parent, alias })
      if (owned === 'vlan')
        await this.#kernel.createVlan({ name: parent, ...vlanOf(parent)!, alias })
      this.#nets.set(req.networkId, {
        id: req.networkId,
        opts,
        parent,
        ...(owned ? { owned } : {}),
        ipv4: req.ipv4,
        ipv6: req.ipv6,
        internal: req.internal || owned === 'dummy',
        endpoints: new Map(),
      })
    })
  }

  async deleteNetwork(req: { networkId: string }, o?: OperationOptions): Promise<void> {
    check(o)
    return this.#serial(async () => {
      const net = this.#net(req.networkId)
      if (net.endpoints.size > 0)
        throw new DriverForbiddenError(
          TYPE,
          `network ${net.id} still has ${net.endpoints.size} endpoint(s)`,
        )
      if (net.owned) {
        // a parent this network made may serve others (same `parent` option): it passes on
        const heir = [...this.#nets.values()].find((o) => o !== net && o.parent === net.parent)
        if (heir) {
          await this.#kernel.setAlias(net.parent, `${ALIAS}${heir.id}`)
          heir.owned = net.owned
        } else await this.#kernel.deleteLink(net.parent)
      }
      this.#nets.delete(net.id)
    })
  }

  async createEndpoint(req: Parameters<Driver['createEndpoint']>[0], o?: OperationOptions) {
    check(o)
    const net = this.#net(req.networkId)
    if (net.endpoints.has(req.endpointId)) throw new AlreadyExistsError('endpoint', req.endpointId)
    const { address, addressIPv6 } = req.iface
    if (!address && !addressIPv6)
      throw new BadRequestError(
        'macvlan-no-address',
        'a macvlan endpoint needs a static IPv4 or IPv6 address from the network',
        { details: { networkId: net.id, endpointId: req.endpointId } },
      )
    for (const [a, pools] of [
      [address, net.ipv4],
      [addressIPv6, net.ipv6],
    ] as const) {
      if (a && !pools.some((d) => d.pool.contains(a.ip)))
        throw new BadRequestError(
          'macvlan-address-outside-subnet',
          `address ${a.toString()} is in none of network ${net.id}'s subnets`,
          { details: { networkId: net.id, address: a.toString() } },
        )
    }
    if (net.opts.mode === 'passthru') {
      if (net.endpoints.size > 0)
        throw new ConflictError(
          'macvlan-passthru-in-use',
          `network ${net.id} is in passthru mode: its parent ${net.parent} takes one container only`,
          { details: { networkId: net.id, parent: net.parent } },
        )
      // passthru children carry the parent's MAC; setting another would change the parent's
      if (req.iface.mac)
        throw new BadRequestError(
          'macvlan-passthru-mac',
          'a passthru endpoint takes the parent interface MAC address; none may be given',
          { details: { networkId: net.id, mac: req.iface.mac } },
        )
    }
    const opts = req.options
    if ((opts.portBindings?.length ?? 0) > 0 || (opts.exposedPorts?.length ?? 0) > 0)
      this.#log.warn('the macvlan driver does not publish ports: containers are on the LAN', {
        networkId: net.id,
        endpointId: req.endpointId,
      })
    const iface = {
      ...req.iface,
      ...(net.opts.mode === 'passthru' ? {} : { mac: req.iface.mac ?? macFor(address) }),
    }
    net.endpoints.set(req.endpointId, newEp(req.endpointId, iface))
    return { iface }
  }

  async deleteEndpoint(
    req: { networkId: string; endpointId: string },
    o?: OperationOptions,
  ): Promise<void> {
    check(o)
    const [net, ep] = this.#ep(req.networkId, req.endpointId)
    net.endpoints.delete(ep.id)
  }

  async endpointOperInfo(req: { networkId: string; endpointId: string }) {
    const [net, ep] = this.#ep(req.networkId, req.endpointId)
    return {
      ...(ep.iface.mac ? { mac: ep.iface.mac } : {}),
      portBindings: [],
      exposedPorts: [],
      parent: net.parent,
      mode: net.opts.mode,
      joined: ep.sandboxKey !== undefined,
    }
  }

  /** The child is born inside the sandbox (no move); the sandbox layer renames and configures it. */
  async join(req: Parameters<Driver['join']>[0], o?: OperationOptions): Promise<JoinResult> {
    check(o)
    const [net, ep] = this.#ep(req.networkId, req.endpointId)
    if (ep.sandboxKey !== undefined) throw new AlreadyExistsError('endpoint', `${ep.id} (joined)`)
    const parent = await this.#kernel.link(net.parent)
    if (!parent)
      throw new NotFoundError(
        'macvlan-parent-not-found',
        `parent interface ${net.parent} of network ${net.id} does not exist any more`,
        { details: { parent: net.parent, networkId: net.id } },
      )
    await this.#kernel.createMacvlan({
      name: ep.child,
      parent: net.parent,
      mode: net.opts.mode,
      mtu: parent.mtu,
      ...(ep.iface.mac ? { mac: ep.iface.mac } : {}),
      netns: req.sandboxKey,
    })
    ep.sandboxKey = req.sandboxKey
    return {
      interfaces: [{ srcName: ep.child, dstPrefix: 'eth', inSandbox: true }],
      gateway: net.internal ? undefined : gatewayFor(net.ipv4, ep.iface.address),
      gatewayIPv6: net.internal ? undefined : gatewayFor(net.ipv6, ep.iface.addressIPv6),
      staticRoutes: [],
      disableGatewayService: net.internal,
    }
  }

  async leave(req: { networkId: string; endpointId: string }, o?: OperationOptions): Promise<void> {
    check(o)
    const [, ep] = this.#ep(req.networkId, req.endpointId)
    // The sandbox layer deleted the (renamed) child unless a join failed before the rename:
    // then the child is still there under its first name.
    if (ep.sandboxKey !== undefined) await this.#kernel.deleteLink(ep.child, ep.sandboxKey)
    delete ep.sandboxKey
  }

  async programExternalConnectivity(
    req: Parameters<Driver['programExternalConnectivity']>[0],
    o?: OperationOptions,
  ) {
    check(o)
    this.#ep(req.networkId, req.endpointId)
    return []
  }

  async revokeExternalConnectivity(
    req: { networkId: string; endpointId: string },
    o?: OperationOptions,
  ) {
    check(o)
    this.#ep(req.networkId, req.endpointId)
  }

  /**
   * Rebuild networks and endpoints from the records; parents this driver owns (VLAN, dummy)
   * come back if missing, ones no record claims go.
   */
  async restore(state: RestoreState, o?: OperationOptions): Promise<RestoreReport> {
    check(o)
    return this.#serial(async () => {
      const { nets, report } = await restoreNetworks(this.#kernel, state)
      this.#nets.clear()
      for (const [id, net] of nets) this.#nets.set(id, net)
      return report
    })
  }

  async stop(): Promise<void> {
    await this.#queue
    this.#kernel.close()
  }
}
