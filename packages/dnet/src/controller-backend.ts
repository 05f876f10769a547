import type {
  Controller,
  EndpointInfo,
  NetworkInfo,
  NetworkSubnet,
  SandboxInfo,
} from '@libnetwork/controller'
import type { PortBinding as DriverPortBinding } from '@libnetwork/driverapi'
import { IP, IPNet, LibnetworkError, NotFoundError } from '@libnetwork/types'
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

/** The REST API's view of the real controller: JSON-friendly values in, typed values inside. */
export class ControllerBackend implements NetworkBackend {
  constructor(
    private readonly c: Controller,
    /** Lists the remote plugins the daemon can find. */
    private readonly plugins?: () => Promise<PluginView[]>,
    /** Lists the cluster's members (`[cluster]`). */
    private readonly members?: () => ClusterMemberView[],
  ) {}

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
        return portView(b ? { ...p, hostIP: b.hostIP, hostPort: b.hostPort } : p)
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
    const n = this.c.network(network)
    try {
      // One endpoint looked up and copied, not every endpoint of the network.
      return this.c.endpointOf(n.id, ref)
    } catch (err) {
      if (!LibnetworkError.isInstance(err) || err.category !== 'not-found') throw err
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
    return this.networkView(this.c.network(ref))
  }
  async deleteNetwork(ref: string): Promise<void> {
    await this.c.deleteNetwork(ref)
  }

  async createEndpoint(network: string, req: EndpointCreate): Promise<EndpointView> {
    const e = await this.c.createEndpoint(network, {
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
    return this.c.endpoints(network).map((e) => this.endpointView(e))
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
    return this.sandboxView(this.c.sandbox(ref))
  }
  async deleteSandbox(ref: string): Promise<void> {
    await this.c.deleteSandbox(ref)
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
      this.c.sandbox(sandbox).id,
      options.aliases ? { aliases: options.aliases } : {},
    )
    return this.endpointView(this.c.endpoint(e.id))
  }
  async leave(network: string, endpoint: string, sandbox: string): Promise<EndpointView> {
    const e = this.findEndpoint(network, endpoint)
    await this.c.leave(e.id, this.c.sandbox(sandbox).id)
    return this.endpointView(this.c.endpoint(e.id))
  }
}
