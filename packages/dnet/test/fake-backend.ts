// An in-memory NetworkBackend for testing the API and CLI layers (not the product).
import { ConflictError, NotFoundError } from '@libnetwork/types'
import type { EndpointView, NetworkBackend, NetworkView, SandboxView } from '../src/backend.js'

let seq = 0
const id = () => (++seq).toString(16).padStart(64, 'a')

export class FakeBackend implements NetworkBackend {
  networks = new Map<string, NetworkView>()
  endpoints = new Map<string, EndpointView>()
  sandboxes = new Map<string, SandboxView>()

  private net(ref: string): NetworkView {
    for (const n of this.networks.values()) if (n.id === ref || n.name === ref) return n
    throw new NotFoundError('network-not-found', `network ${ref} not found`)
  }
  private ep(net: string, ref: string): EndpointView {
    const n = this.net(net)
    for (const e of this.endpoints.values())
      if (e.networkId === n.id && (e.id === ref || e.name === ref)) return e
    throw new NotFoundError('endpoint-not-found', `endpoint ${ref} not found`)
  }
  private sb(ref: string): SandboxView {
    for (const s of this.sandboxes.values()) if (s.id === ref || s.containerId === ref) return s
    throw new NotFoundError('sandbox-not-found', `sandbox ${ref} not found`)
  }

  async createNetwork(req: Parameters<NetworkBackend['createNetwork']>[0]) {
    if ([...this.networks.values()].some((n) => n.name === req.name))
      throw new ConflictError('network-exists', `network ${req.name} exists`)
    const n: NetworkView = {
      id: id(),
      name: req.name,
      driver: req.driver ?? 'bridge',
      scope: 'local',
      internal: req.internal ?? false,
      ipv6: req.ipv6 ?? false,
      ipam: {
        driver: req.ipam?.driver ?? 'default',
        config: req.ipam?.config ?? [{ subnet: '172.18.0.0/16' }],
      },
      options: req.options ?? {},
      labels: req.labels ?? {},
      endpoints: [],
    }
    this.networks.set(n.id, n)
    return n
  }
  async listNetworks() {
    return [...this.networks.values()]
  }
  async getNetwork(ref: string) {
    return this.net(ref)
  }
  async deleteNetwork(ref: string) {
    const n = this.net(ref)
    if (n.endpoints.length)
      throw new ConflictError('network-in-use', `network ${n.name} has active endpoints`)
    this.networks.delete(n.id)
  }
  async createEndpoint(net: string, req: Parameters<NetworkBackend['createEndpoint']>[1]) {
    const n = this.net(net)
    const e: EndpointView = {
      id: id(),
      name: req.name,
      networkId: n.id,
      networkName: n.name,
      sandboxId: null,
      ipv4Address: `172.18.0.${n.endpoints.length + 2}/16`,
      ipv6Address: null,
      macAddress: null,
      portBindings: req.portBindings ?? [],
      aliases: req.aliases ?? [],
    }
    n.endpoints.push(e.id)
    this.endpoints.set(e.id, e)
    return e
  }
  async listEndpoints(net?: string) {
    const n = net === undefined ? undefined : this.net(net)
    return [...this.endpoints.values()].filter((e) => !n || e.networkId === n.id)
  }
  async getEndpoint(net: string, ref: string) {
    return this.ep(net, ref)
  }
  async deleteEndpoint(net: string, ref: string) {
    const e = this.ep(net, ref)
    if (e.sandboxId) throw new ConflictError('endpoint-in-use', `endpoint ${e.name} is joined`)
    this.endpoints.delete(e.id)
    const n = this.net(net)
    n.endpoints = n.endpoints.filter((x) => x !== e.id)
  }
  async createSandbox(req: Parameters<NetworkBackend['createSandbox']>[0]) {
    const s: SandboxView = {
      id: id(),
      containerId: req.containerId,
      hostname: req.hostname ?? req.containerId,
      key: `/var/run/netns/${req.containerId}`,
      endpoints: [],
    }
    this.sandboxes.set(s.id, s)
    return s
  }
  async listSandboxes() {
    return [...this.sandboxes.values()]
  }
  async getSandbox(ref: string) {
    return this.sb(ref)
  }
  async deleteSandbox(ref: string) {
    const s = this.sb(ref)
    for (const e of this.endpoints.values()) if (e.sandboxId === s.id) e.sandboxId = null
    this.sandboxes.delete(s.id)
  }
  async join(net: string, ep: string, sandbox: string) {
    const e = this.ep(net, ep)
    const s = this.sb(sandbox)
    if (e.sandboxId)
      throw new ConflictError('endpoint-joined', `endpoint ${e.name} is already joined`)
    e.sandboxId = s.id
    s.endpoints.push(e.id)
    return e
  }
  async leave(net: string, ep: string, sandbox: string) {
    const e = this.ep(net, ep)
    const s = this.sb(sandbox)
    if (e.sandboxId !== s.id)
      throw new ConflictError('not-joined', `endpoint ${e.name} is not joined to ${sandbox}`)
    e.sandboxId = null
    s.endpoints = s.endpoints.filter((x) => x !== e.id)
    return e
  }
}
