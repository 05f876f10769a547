import type {
  Controller,
  EndpointInfo,
  NetworkInfo,
  NetworkSubnet,
  SandboxInfo,
} from '@libnetwork/controller'
import type { PortBinding as DriverPortBinding } from '@libnetwork/driverapi'
import {
  BadRequestError,
  ForbiddenError,
  IP,
  IPNet,
  LibnetworkError,
  NotFoundError,
  UnavailableError,
} from '@libnetwork/types'
import type {
  EndpointCreate,
  EndpointView,
  IpamPoolConfig,
  JoinOptions,
  NetworkBackend,
  NetworkCreate,
  NetworkView,
  PluginView,
  ClusterMemberView,
  PortBinding,
  SandboxCreate,
  SandboxView,
} from './backend.js'

function poolView(s: NetworkSubnet): IpamPoolConfig {
  const v: IpamPoolConfig = { subnet: s.subnet.toString() }
  if (s.gateway) v.gateway = s.gateway.toString()
  if (s.ipRange) v.ipRange = s.ipRange.toString()
  if (Object.keys(s.auxAddresses).length > 0) {
    v.auxAddresses = Object.fromEntries(
      Object.entries(s.auxAddresses).map(([k, ip]) => [k, ip.toString()]),
    )
  }
  return v
}

function portView(p: DriverPortBinding): PortBinding {
  return {
    protocol: p.protocol,
    port: p.port,
    ...(p.hostIP ? { hostIp: p.hostIP.toString() } : {}),
    ...(p.hostPort ? { hostPort: p.hostPort } : {}),
    ...(p.hostPortEnd ? { hostPortEnd: p.hostPortEnd } : {}),
  }
}

/** Shortest id prefix taken for an id, as the controller takes for networks and endpoints. */
const MIN_PREFIX = 6

const isNotFound = (err: unknown) => LibnetworkError.isInstance(err) && err.category === 'not-found'

/**
 * Look `ref` up with `find` (id, name); when it finds nothing, a unique id prefix of at least
 * MIN_PREFIX characters names the object too, and a prefix of several is a clear error.
 */
function byRef<T extends { id: string }>(
  kind: string,
  ref: string,
  find: () => T,
  all: () => T[],
): T {
  try {
    return find()
  } catch (err) {
    if (!isNotFound(err) || ref.length < MIN_PREFIX) throw err
    const found = all().filter((x) => x.id.startsWith(ref))
    if (found.length === 1) return found[0]!
    if (found.length > 1) {
      throw new BadRequestError(
        `ambiguous-${kind}-id`,
        `${ref} is the beginning of ${found.length} ${kind} ids: give more of the id`,
        { details: { [kind]: ref, matches: found.length } },
      )
    }
    throw err
  }
}

export interface ControllerBackendOptions {
  /**
   * Networks the daemon itself made (its default network): they cannot be removed, as docker
   * refuses to remove its predefined networks.
   */
  predefinedNetworks?: string[]
}

/** The REST API's view of the real controller: JSON-friendly values in, typed values inside. */
export class ControllerBackend implements NetworkBackend {
  constructor(
    private readonly c: Controller,
    /** Lists the remote plugins the daemon can find. */
    private readonly plugins?: () => Promise<PluginView[]>,
    /** Lists the cluster's members (`[cluster]`). */
    private readonly members?: () => ClusterMemberView[],
    private readonly options: ControllerBackendOptions = {},
  ) {}

  /** A network by id, name or unique id prefix (several: a clear error). */
  private network(ref: string): NetworkInfo {
    return byRef(
      'network',
      ref,
      () => this.c.network(ref),
      () => this.c.networks(),
    )
  }

  /** A sandbox by id, container name or unique id prefix (as `container ls` prints it). */
  private sandbox(ref: string): SandboxInfo {
    return byRef(
      'sandbox',
      ref,
      () => this.c.sandbox(ref),
      () => this.c.sandboxes(),
    )
  }

  async listPlugins(): Promise<PluginView[]> {
    return this.plugins ? this.plugins() : []
  }

  async listClusterMembers(): Promise<ClusterMemberView[]> {
    return this.members ? this.members() : []
  }

  private networkView(n: NetworkInfo): NetworkView {
    return {
      id: n.id,
      name: n.name,
      driver: n.driver,
      scope: n.scope,
      internal: n.internal,
      ipv6: n.enableIPv6,
      ipam: { driver: n.ipamDriver, config: [...n.ipv4, ...n.ipv6].map(poolView) },
      options: (n.options ?? {}) as Record<string, string>,
      labels: n.labels,
      endpoints: this.c.endpoints(n.id).map((e) => e.id),
    }
  }

  private endpointView(e: EndpointInfo): EndpointView {
    const n = this.c.network(e.networkId)
    const bound = new Map(e.boundPorts.map((b) => [`${b.protocol}/${b.port}`, b]))
    return {
      id: e.id,
      name: e.name,
      networkId: n.id,
      networkName: n.name,
      sandboxId: e.sandboxId ?? null,
      ipv4Address: e.address?.toString() ?? null,
      ipv6Address: e.addressIPv6?.toString() ?? null,
      macAddress: e.mac ?? null,
      // While joined, show the host ports actually bound (a requested 0 becomes the chosen port).
      portBindings: e.portBindings.map((p) => {
        const b = bound.get(`${p.protocol}/${p.port}`)
        if (!b) return portView(p)
        // The port bound, not the range it was chosen from.
        const { hostPortEnd: _range, ...asked } = p
        return portView({ ...asked, hostIP: b.hostIP, hostPort: b.hostPort })
      }),
      aliases: e.aliases,
    }
  }

  private sandboxView(s: SandboxInfo): SandboxView {
    return {
      id: s.id,
      containerId: s.containerId,
      hostname: s.hostname,
      key: s.path,
      endpoints: s.endpoints,
    }
  }

  /** An endpoint of a network, by id, id prefix or name. */
  private findEndpoint(network: string, ref: string): EndpointInfo {
    const n = this.network(network)
    try {
      // One endpoint looked up and copied, not every endpoint of the network.
      return byRef(
        'endpoint',
        ref,
        () => this.c.endpointOf(n.id, ref),
        () => this.c.endpoints(n.id),
      )
    } catch (err) {
      if (!isNotFound(err)) throw err
      throw new NotFoundError(
        'endpoint-not-found',
        `endpoint ${ref} not found on network ${n.name}`,
        {
          details: { network: n.name, endpoint: ref },
        },
      )
    }
  }

  async createNetwork(req: NetworkCreate): Promise<NetworkView> {
    const n = await this.c.createNetwork({
      name: req.name,
      ...(req.id ? { id: req.id } : {}),
      driver: req.driver ?? 'bridge',
      ipam: {
        ...(req.ipam?.driver ? { driver: req.ipam.driver } : {}),
        ...(req.ipam?.config
          ? {
              config: req.ipam.config.map((p) => ({
                ...(p.subnet ? { subnet: IPNet.parse(p.subnet) } : {}),
                ...(p.ipRange ? { ipRange: IPNet.parse(p.ipRange) } : {}),
                ...(p.gateway ? { gateway: IP.parse(p.gateway) } : {}),
                ...(p.auxAddresses
                  ? {
                      auxAddresses: Object.fromEntries(
                        Object.entries(p.auxAddresses).map(([k, v]) => [k, IP.parse(v)]),
                      ),
                    }
                  : {}),
              })),
            }
          : {}),
      },
      ...(req.ipv6 !== undefined ? { enableIPv6: req.ipv6 } : {}),
      ...(req.internal !== undefined ? { internal: req.internal } : {}),
      ...(req.attachable !== undefined ? { attachable: req.attachable } : {}),
      ...(req.labels ? { labels: req.labels } : {}),
      ...(req.options ? { options: req.options } : {}),
    })
    return this.networkView(n)
  }

  async listNetworks(): Promise<NetworkView[]> {
    return this.c.networks().map((n) => this.networkView(n))
  }
  async getNetwork(ref: string): Promise<NetworkView> {
    return this.networkView(this.network(ref))
  }
  async deleteNetwork(ref: string): Promise<void> {
    const n = this.network(ref)
    if (this.options.predefinedNetworks?.includes(n.name)) {
      throw new ForbiddenError(
        'predefined-network',
        `${n.name} is a pre-defined network and cannot be removed`,
        { details: { network: n.name } },
      )
    }
    await this.c.deleteNetwork(n.id)
  }

  async createEndpoint(network: string, req: EndpointCreate): Promise<EndpointView> {
    const e = await this.c.createEndpoint(this.network(network).id, {
      name: req.name,
      ...(req.aliases ? { aliases: req.aliases } : {}),
      ...(req.exposedPorts ? { exposedPorts: req.exposedPorts } : {}),
      ...(req.portBindings
        ? {
            portBindings: req.portBindings.map((p) => ({
              protocol: p.protocol,
              port: p.port,
              ...(p.hostIp ? { hostIP: IP.parse(p.hostIp) } : {}),
              ...(p.hostPort !== undefined ? { hostPort: p.hostPort } : {}),
              ...(p.hostPortEnd !== undefined ? { hostPortEnd: p.hostPortEnd } : {}),
            })),
          }
        : {}),
      ...(req.ipv4Address ? { ipv4Address: IP.parse(req.ipv4Address) } : {}),
      ...(req.ipv6Address ? { ipv6Address: IP.parse(req.ipv6Address) } : {}),
      ...(req.macAddress ? { mac: req.macAddress.toLowerCase() } : {}),
    })
    return this.endpointView(e)
  }
  async listEndpoints(network?: string): Promise<EndpointView[]> {
    const nid = network === undefined ? undefined : this.network(network).id
    // Other hosts' endpoints on global networks too (service ls on any host lists them all);
    // with the global store away, this host's own.
    const list = await this.c.clusterEndpoints(nid).catch((err: unknown) => {
      if (!UnavailableError.isInstance(err)) throw err
      return this.c.endpoints(nid)
    })
    return list.map((e) => this.endpointView(e))
  }
  async getEndpoint(network: string, ref: string): Promise<EndpointView> {
    return this.endpointView(this.findEndpoint(network, ref))
  }
  async deleteEndpoint(network: string, ref: string): Promise<void> {
    await this.c.deleteEndpoint(this.findEndpoint(network, ref).id)
  }

  async createSandbox(req: SandboxCreate): Promise<SandboxView> {
    const s = await this.c.createSandbox({
      containerId: req.containerId,
      ...(req.hostname ? { hostname: req.hostname } : {}),
      ...(req.domainName ? { domainname: req.domainName } : {}),
      ...(req.extraHosts
        ? { extraHosts: req.extraHosts.map((h) => ({ name: h.name, ip: IP.parse(h.address) })) }
        : {}),
      ...(req.dns || req.dnsSearch || req.dnsOptions
        ? {
            dns: {
              ...(req.dns ? { servers: req.dns.map((d) => IP.parse(d)) } : {}),
              ...(req.dnsSearch ? { search: req.dnsSearch } : {}),
              ...(req.dnsOptions ? { options: req.dnsOptions } : {}),
            },
          }
        : {}),
      ...(req.useHostNetwork ? { useHostNetwork: true } : {}),
    })
    return this.sandboxView(s)
  }
  async listSandboxes(): Promise<SandboxView[]> {
    return this.c.sandboxes().map((s) => this.sandboxView(s))
  }
  async getSandbox(ref: string): Promise<SandboxView> {
    return this.sandboxView(this.sandbox(ref))
  }
  async deleteSandbox(ref: string): Promise<void> {
    await this.c.deleteSandbox(this.sandbox(ref).id)
  }

  async join(
    network: string,
    endpoint: string,
    sandbox: string,
    options: JoinOptions = {},
  ): Promise<EndpointView> {
    const e = this.findEndpoint(network, endpoint)
    // Join-time aliases: the embedded DNS answers them on this network while joined.
    await this.c.join(
      e.id,
      this.sandbox(sandbox).id,
      options.aliases ? { aliases: options.aliases } : {},
    )
    return this.endpointView(this.c.endpoint(e.id))
  }
  async leave(network: string, endpoint: string, sandbox: string): Promise<EndpointView> {
    const e = this.findEndpoint(network, endpoint)
    await this.c.leave(e.id, this.sandbox(sandbox).id)
    return this.endpointView(this.c.endpoint(e.id))
  }
}
