import {
  AlreadyExistsError,
  DriverForbiddenError,
  EndpointNotFoundError,
  NetworkNotFoundError,
  type AllocateNetworkRequest,
  type CreateNetworkRequest,
  type Driver,
  type DriverComponents,
  type DriverFactory,
  type FreeNetworkRequest,
  type JoinResult,
  type OperationOptions,
  type RestoreReport,
  type RestoreState,
  type TableEvent,
} from '@libnetwork/driverapi'
import { BadRequestError, ConflictError, noopLogger, type Logger } from '@libnetwork/types'
import { EncryptionUnsupportedError } from './errors.js'
import { netlinkOverlayKernel, type OverlayKernel } from './kernel.js'
import { BRIDGE, macFor, newEp, newNet, type Ep, type Net } from './model.js'
import {
  DEFAULT_VXLAN_PORT,
  VXLAN_OVERHEAD,
  parseOverlayOptions,
  type OverlayNetworkOptions,
} from './options.js'
import { PEER_TABLE } from './peer-record.js'
import { Plumbing } from './plumbing.js'
import { restoreNetworks, vnisOf, VNI_LABEL } from './restore.js'
import { VniPool } from './vni.js'

/** User configuration of the overlay driver (dockerd's host-wide choices). */
export interface OverlayDriverConfig {
  /** UDP port of the VXLAN tunnels (dockerd's `--data-path-port`); default 4789. */
  dataPathPort?: number
}

/** Collaborators the composer owns (a test replaces them). */
export interface OverlayDeps {
  /** The named namespace that is the "host" (holds the underlay); default: ours. */
  netns?: string
  /** Prefix of the per-network namespaces' names (default `ov-`); they are `<prefix><vni>-<id>`. */
  netnsPrefix?: string
  /** Kernel I/O; default rtnetlink from `netns` (`netlinkOverlayKernel`). */
  kernel?: OverlayKernel
}

/** A factory for the overlay driver. */
export function overlay(config: OverlayDriverConfig = {}, deps: OverlayDeps = {}): DriverFactory {
  const port = config.dataPathPort ?? DEFAULT_VXLAN_PORT
  if (!Number.isInteger(port) || port < 1 || port > 65535)
    throw new BadRequestError('overlay-invalid-port', 'dataPathPort must be a UDP port (1-65535)', {
      details: { dataPathPort: port },
    })
  return (components) => new OverlayDriver(port, deps, components)
}

const TYPE = 'overlay'
const check = (o: OperationOptions | undefined) => o?.signal?.throwIfAborted()

class OverlayDriver implements Driver {
  readonly type = TYPE
  readonly capability = {
    dataScope: 'global',
    connectivityScope: 'global',
    needsIpam: true,
    sharesHostNetwork: false,
    tables: [PEER_TABLE],
  } as const
  readonly #prefix: string
  readonly #kernel: OverlayKernel
  readonly #log: Logger
  readonly #p: Plumbing
  readonly #vnis: VniPool
  readonly #nets = new Map<string, Net>()
  /** Hosts share a cluster but no store: each would pick its own VNI, so the user names it. */
  readonly #vniRequired: boolean
  #queue: Promise<unknown> = Promise.resolve()

  constructor(port: number, deps: OverlayDeps, c: DriverComponents | undefined) {
    this.#prefix = deps.netnsPrefix ?? 'ov-'
    this.#kernel = deps.kernel ?? netlinkOverlayKernel(deps.netns ? { netns: deps.netns } : {})
    this.#log = c?.logger ?? noopLogger
    this.#p = new Plumbing(this.#kernel, c?.cluster, this.#log, port)
    this.#vnis = new VniPool(c?.globalStore)
    this.#vniRequired = c?.cluster !== undefined && c.globalStore === undefined
  }

  parseNetworkOptions(raw: unknown): OverlayNetworkOptions {
    return parseOverlayOptions(raw)
  }

  #serial<T>(fn: () => Promise<T> | T): Promise<T> {
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

  #checkEncryption(networkId: string, opts: OverlayNetworkOptions): void {
    if (opts.encrypted && !this.#kernel.supportsEsp())
      throw new EncryptionUnsupportedError(networkId)
  }

  /** In a cluster without a global store every host creates the network with the user's VNI. */
  #checkVni(networkId: string, opts: OverlayNetworkOptions): void {
    if (this.#vniRequired && opts.vnis === undefined)
      throw new BadRequestError(
        'overlay-vni-required',
        `network ${networkId}: without a global store (etcd) the hosts of a cluster cannot agree on a VXLAN id; give one with -o ${VNI_LABEL}=<1-16777215>`,
        { details: { networkId, option: VNI_LABEL } },
      )
  }

  async allocateNetwork(req: AllocateNetworkRequest, o?: OperationOptions) {
    check(o)
    const opts = (req.options as OverlayNetworkOptions | undefined) ?? parseOverlayOptions({})
    this.#checkEncryption(req.networkId, opts)
    this.#checkVni(req.networkId, opts)
    const vnis = await this.#vnis.reserve(opts.vnis)
    return { [VNI_LABEL]: vnis.join(',') }
  }

  async freeNetwork(req: FreeNetworkRequest, o?: OperationOptions): Promise<void> {
    check(o)
    const raw = req.driverData?.[VNI_LABEL]
    if (raw === undefined) return
    const { vnis } = parseOverlayOptions({ [VNI_LABEL]: raw })
    await this.#vnis.release(vnis ?? [])
  }

  async createNetwork(req: CreateNetworkRequest, o?: OperationOptions): Promise<void> {
    check(o)
    return this.#serial(async () => {
      if (this.#nets.has(req.networkId)) throw new AlreadyExistsError('network', req.networkId)
      const opts = (req.options as OverlayNetworkOptions | undefined) ?? parseOverlayOptions({})
      this.#checkEncryption(req.networkId, opts)
      const given = req.driverData?.[VNI_LABEL]
      if (given === undefined) this.#checkVni(req.networkId, opts)
      const vni = vnisOf(req.driverData, opts)?.[0]
      const taken = vni !== undefined && [...this.#nets.values()].find((n) => n.vni === vni)
      if (taken)
        throw new ConflictError(
          'overlay-vni-in-use',
          `VXLAN id ${vni} is already used by network ${taken.id}`,
          { details: { vni, networkId: req.networkId, usedBy: taken.id } },
        )
      let mtu = opts.mtu
      if (mtu === undefined) {
        const underlay = this.#kernel.underlayMtu(this.#p.local())
        mtu = underlay - VXLAN_OVERHEAD
        if (mtu < 68)
          throw new BadRequestError(
            'overlay-underlay-mtu',
            `the underlay MTU ${underlay} leaves no room for VXLAN (needs at least ${68 + VXLAN_OVERHEAD})`,
            { details: { underlayMtu: underlay } },
          )
      }
      // no allocateNetwork before (a local-only setup): reserve here, free at delete
      const own = given === undefined ? await this.#vnis.reserve(opts.vnis) : undefined
      this.#nets.set(
        req.networkId,
        newNet(req, {
          opts,
          vni: vni ?? own![0]!,
          ...(own ? { ownVnis: own } : {}),
          mtu,
          prefix: this.#prefix,
        }),
      )
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
      if (net.sandbox) await this.#p.drop(net)
      if (net.ownVnis) await this.#vnis.release(net.ownVnis)
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
        'overlay-no-address',
        'an overlay endpoint needs an IPv4 or IPv6 address from the network',
        { details: { networkId: net.id, endpointId: req.endpointId } },
      )
    for (const [a, pools] of [
      [address, net.ipv4],
      [addressIPv6, net.ipv6],
    ] as const) {
      if (a && !pools.some((d) => d.pool.contains(a.ip)))
        throw new BadRequestError(
          'overlay-address-outside-subnet',
          `address ${a.toString()} is in none of network ${net.id}'s subnets`,
          { details: { networkId: net.id, address: a.toString() } },
        )
    }
    const mac = req.iface.mac ?? macFor(address)
    const iface = { ...req.iface, mac }
    net.endpoints.set(req.endpointId, newEp(req.endpointId, iface, mac))
    return { iface }
  }

  async deleteEndpoint(req: { networkId: string; endpointId: string }, o?: OperationOptions) {
    check(o)
    const [net, ep] = this.#ep(req.networkId, req.endpointId)
    if (ep.sandboxKey !== undefined)
      throw new DriverForbiddenError(TYPE, `endpoint ${ep.id} is still joined; leave first`)
    net.endpoints.delete(ep.id)
  }

  async endpointOperInfo(req: { networkId: string; endpointId: string }) {
    const [net, ep] = this.#ep(req.networkId, req.endpointId)
    return {
      mac: ep.mac,
      portBindings: [],
      exposedPorts: [],
      vni: net.vni,
      mtu: net.mtu,
      joined: ep.sandboxKey !== undefined,
    }
  }

  /** The veth is made with its container end already in the sandbox. */
  async join(req: Parameters<Driver['join']>[0], o?: OperationOptions): Promise<JoinResult> {
    check(o)
    return this.#serial(async () => {
      const [net, ep] = this.#ep(req.networkId, req.endpointId)
      if (ep.sandboxKey !== undefined) throw new AlreadyExistsError('endpoint', `${ep.id} (joined)`)
      const first = !net.sandbox
      await this.#p.ensure(net)
      try {
        this.#kernel.createVeth({
          netns: net.netns,
          bridge: BRIDGE,
          host: ep.host,
          peer: ep.peer,
          sandboxKey: req.sandboxKey,
          mtu: net.mtu,
          mac: ep.mac,
        })
      } catch (err) {
        if (first) await this.#p.drop(net)
        throw err
      }
      ep.sandboxKey = req.sandboxKey
      await this.#p.publish(net, ep, 'put')
      return {
        interfaces: [{ srcName: ep.peer, dstPrefix: 'eth', inSandbox: true }],
        staticRoutes: [],
        // no gateway from here, and the gateway service stays on: the controller adds the way
        // out (upstream's docker_gwbridge) unless the network is internal
        disableGatewayService: false,
      }
    })
  }

  async leave(req: { networkId: string; endpointId: string }, o?: OperationOptions): Promise<void> {
    check(o)
    return this.#serial(async () => {
      const [net, ep] = this.#ep(req.networkId, req.endpointId)
      if (ep.sandboxKey === undefined) return
      await this.#p.publish(net, ep, 'delete')
      this.#kernel.deleteLink(net.netns, ep.host)
      delete ep.sandboxKey
      if (![...net.endpoints.values()].some((e) => e.sandboxKey !== undefined))
        await this.#p.drop(net)
    })
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

  onTableEvent(ev: TableEvent): void {
    if (ev.table !== PEER_TABLE) return
    void this.#serial(() => {
      const net = this.#nets.get(ev.networkId)
      if (!net) return
      if (ev.local) this.#p.forget(net, ev.key)
      else this.#p.onEvent(net, ev)
    })
  }

  /** Rebuild networks and endpoints from the records; a joined network gets its namespace back. */
  async restore(state: RestoreState, o?: OperationOptions): Promise<RestoreReport> {
    check(o)
    return this.#serial(async () => {
      const { nets, report } = await restoreNetworks(
        {
          kernel: this.#kernel,
          plumbing: this.#p,
          vnis: this.#vnis,
          prefix: this.#prefix,
          log: this.#log,
        },
        state,
      )
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
