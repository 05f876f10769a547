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
  type IPNet,
  type Logger,
} from '@libnetwork/types'
import { KernelSupportError } from './errors.js'
import { netlinkMacvlanKernel, type MacvlanKernel } from './kernel.js'
import { ALIAS, dummyName, gatewayFor, macFor, newEp, type Ep, type Net } from './model.js'
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

  /** Where the children of a new network hang: the parent's name and who owns it. */
  async #resolveParent(
    id: string,
    opts: MacvlanNetworkOptions,
  ): Promise<{ parent: string; owned?: 'vlan' | 'dummy' }> {
    if (opts.parent === undefined) {
      if (!(await this.#kernel.supports('dummy')))
        throw new KernelSupportError('dummy', 'a macvlan network without a parent (-o parent=)', {
          networkId: id,
        })
      return { parent: dummyName(id), owned: 'dummy' }
    }
    const found = await this.#kernel.link(opts.parent)
    if (found) {
      if (found.loopback)
        throw new BadRequestError(
          'macvlan-parent-invalid',
          `parent ${found.name} is a loopback interface`,
          { details: { parent: found.name } },
        )
      if (found.enslaved)
        throw new ConflictError(
          'macvlan-parent-enslaved',
          `parent ${found.name} is a port of a bridge or bond and cannot take macvlan children`,
          { details: { parent: found.name } },
        )
      return { parent: found.name }
    }
    const vlan = vlanOf(opts.parent)
    if (!vlan)
      throw new NotFoundError(
        'macvlan-parent-not-found',
        `parent interface ${opts.parent} does not exist`,
        { details: { parent: opts.parent } },
      )
    if (!(await this.#kernel.supports('vlan')))
      throw new KernelSupportError(
        'vlan',
        `parent ${opts.parent} (VLAN ${vlan.vlanId} on ${vlan.link})`,
        {
          parent: opts.parent,
          networkId: id,
        },
      )
    if (!(await this.#kernel.link(vlan.link)))
      throw new NotFoundError(
        'macvlan-parent-not-found',
        `parent ${opts.parent}: its link ${vlan.link} does not exist`,
        { details: { parent: opts.parent, link: vlan.link } },
      )
    return { parent: opts.parent, owned: 'vlan' }
  }

  /** Refuse a network that would share a parent in a way the kernel or the LAN cannot. */
  #checkShare(net: { id: string; parent: string; opts: MacvlanNetworkOptions }, pools: IPNet[]) {
    for (const other of this.#nets.values()) {
      if (other.parent !== net.parent) continue
      if (net.opts.mode === 'passthru' || other.opts.mode === 'passthru')
        throw new ConflictError(
          'macvlan-parent-in-use',
          `parent ${net.parent} is used by macvlan network ${other.id}${other.opts.mode === 'passthru' ? ' in passthru mode' : ''}; a passthru parent serves one network only`,
          { details: { parent: net.parent, networkId: other.id } },
        )
      for (const p of pools) {
        const clash = [...other.ipv4, ...other.ipv6].find((d) => d.pool.overlaps(p))
        if (clash)
          throw new ConflictError(
            'macvlan-subnet-overlap',
            `subnet ${p.toString()} overlaps ${clash.pool.toString()} of macvlan network ${other.id} on the same parent ${net.parent}`,
            { details: { parent: net.parent, subnet: p.toString(), networkId: other.id } },
          )
      }
    }
  }

  async createNetwork(req: CreateNetworkRequest, o?: OperationOptions): Promise<void> {
    check(o)
    return this.#serial(async () => {
      if (this.#nets.has(req.networkId)) throw new AlreadyExistsError('network', req.networkId)
      const opts = (req.options as MacvlanNetworkOptions | undefined) ?? parseMacvlanOptions({})
      const pools = [...req.ipv4, ...req.ipv6].map((d) => d.pool)
      // the parent's name is known before the kernel is asked: check sharing first
      const named = opts.parent ?? dummyName(req.networkId)
      this.#checkShare({ id: req.networkId, parent: named, opts }, pools)
      const { parent, owned } = await this.#resolveParent(req.networkId, opts)
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
      const removed: string[] = []
      const recreated: string[] = []
      this.#nets.clear()
      const links = await this.#kernel.links()
      for (const r of state.networks) {
        const opts = (r.options as MacvlanNetworkOptions | undefined) ?? parseMacvlanOptions({})
        const parent = opts.parent ?? dummyName(r.networkId)
        const alias = `${ALIAS}${r.networkId}`
        const link = links.find((l) => l.name === parent)
        let owned: 'vlan' | 'dummy' | undefined =
          opts.parent === undefined ? 'dummy' : link?.alias === alias ? 'vlan' : undefined
        if (!link) {
          const vlan = opts.parent === undefined ? undefined : vlanOf(opts.parent)
          try {
            if (owned === 'dummy') await this.#kernel.createDummy({ name: parent, alias })
            else if (vlan) {
              await this.#kernel.createVlan({ name: parent, ...vlan, alias })
              owned = 'vlan'
            }
            if (owned) recreated.push(`${owned} ${parent}`)
            else removed.push(`network ${r.networkId}: parent ${parent} missing`)
          } catch (err) {
            removed.push(`network ${r.networkId}: parent ${parent} not recreated: ${String(err)}`)
          }
        }
        this.#nets.set(r.networkId, {
          id: r.networkId,
          opts,
          parent,
          ...(owned ? { owned } : {}),
          ipv4: r.ipv4,
          ipv6: r.ipv6,
          internal: r.internal || owned === 'dummy',
          endpoints: new Map(),
        })
      }
      for (const r of state.endpoints) {
        const net = this.#nets.get(r.networkId)
        if (!net) continue
        const ep = newEp(r.endpointId, r.iface)
        if (r.sandboxKey !== undefined) ep.sandboxKey = r.sandboxKey
        net.endpoints.set(ep.id, ep)
      }
      for (const l of links) {
        if (l.alias?.startsWith(ALIAS) && !this.#nets.has(l.alias.slice(ALIAS.length))) {
          await this.#kernel.deleteLink(l.name)
          removed.push(`${l.kind ?? 'link'} ${l.name}`)
        }
      }
      return { removed, recreated }
    })
  }

  async stop(): Promise<void> {
    await this.#queue
    this.#kernel.close()
  }
}
