import { InvalidOptionError } from '@libnetwork/driverapi'
import type {
  Capability,
  CreateEndpointResult,
  DataScope,
  Driver,
  DriverFactory,
  EndpointOperInfo,
  JoinResult,
  OperationOptions,
} from '@libnetwork/driverapi'
import { DiscoveryType, Label, NETWORK_DRIVER } from '@libnetwork/plugin-server'
import type { CallOptions, PluginClient } from './client.js'
import {
  decodeJoin,
  decodeOperInfo,
  encodeEndpointOptions,
  encodeInterface,
  encodeIpamData,
  mergeInterface,
  ShapeError,
} from './codec.js'
import { badResponse, isNotSupported } from './errors.js'

/** A cluster node, as a discovery notification tells a plugin about it. */
export interface NodeInfo {
  address: string
  bindAddress?: string
  /** The node is this host. */
  self: boolean
}

/** A network driver served by a plugin, plus upstream's discovery notifications. */
export interface RemoteDriver extends Driver {
  /** A node joined the cluster (upstream's DiscoverNew, node discovery). */
  discoverNew(node: NodeInfo, opts?: OperationOptions): Promise<void>
  /** A node left the cluster (upstream's DiscoverDelete). */
  discoverDelete(node: NodeInfo, opts?: OperationOptions): Promise<void>
}

/**
 * Ask a plugin's capabilities (`NetworkDriver.GetCapabilities`): `Scope` and
 * `ConnectivityScope` (empty: as `Scope`). Remote networks always get addresses from an IPAM.
 */
export async function fetchCapability(
  client: PluginClient,
  opts: CallOptions = {},
): Promise<Capability> {
  const method = `${NETWORK_DRIVER}.GetCapabilities`
  const res = await client.call(method, null, opts)
  const scope = (v: unknown, field: string, dflt?: DataScope): DataScope => {
    if ((v === undefined || v === '') && dflt) return dflt
    if (v === 'local' || v === 'global') return v
    throw badResponse(
      { plugin: client.name, method },
      `${field} must be "local" or "global", not ${JSON.stringify(v)}`,
    )
  }
  const dataScope = scope(res.Scope, 'Scope')
  return {
    dataScope,
    connectivityScope: scope(res.ConnectivityScope, 'ConnectivityScope', dataScope),
    needsIpam: true,
    sharesHostNetwork: false,
  }
}

/**
 * A driver factory whose driver forwards each call to the plugin behind `client`. The driver's
 * type is the plugin's name. Use `fetchCapability` (or a resolver) to learn `capability`.
 */
export function remoteDriver(client: PluginClient, capability: Capability): DriverFactory {
  return () => createRemoteDriver(client, capability)
}

function createRemoteDriver(client: PluginClient, capability: Capability): RemoteDriver {
  const call = (name: string, body: unknown, opts?: OperationOptions) =>
    client.call(`${NETWORK_DRIVER}.${name}`, body, opts?.signal ? { signal: opts.signal } : {})
  /** Call, treating "the plugin does not serve this" as done (upstream's optional calls). */
  const optional = async (name: string, body: unknown, opts?: OperationOptions) => {
    try {
      return await call(name, body, opts)
    } catch (err) {
      if (isNotSupported(err)) return undefined
      throw err
    }
  }
  const facts = (method: string) => ({ plugin: client.name, method: `${NETWORK_DRIVER}.${method}` })
  const bad = (method: string, err: unknown) =>
    err instanceof ShapeError ? badResponse(facts(method), err.message, err) : err
  /** Undo a call the plugin accepted but we could not use; its failure is not ours to report. */
  const undo = async (name: string, body: unknown) => {
    await call(name, body).catch(() => undefined)
  }

  const driver: RemoteDriver = {
    type: client.name,
    capability,
    parseNetworkOptions(raw) {
      if (raw === undefined || raw === null) return {}
      if (typeof raw !== 'object' || Array.isArray(raw)) {
        throw new InvalidOptionError('options', 'must be an object of strings')
      }
      const out: Record<string, string> = {}
      for (const [k, v] of Object.entries(raw)) {
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
          throw new InvalidOptionError(k, 'plugin options are strings')
        }
        out[k] = String(v)
      }
      return out
    },
    async createNetwork(req, opts) {
      const generic = { ...(req.options as Record<string, string>), ...req.driverData }
      const options: Record<string, unknown> = {
        [Label.generic]: generic,
        [Label.enableIPv6]: req.enableIPv6,
      }
      if (req.internal) options[Label.internal] = true
      await call(
        'CreateNetwork',
        {
          NetworkID: req.networkId,
          Options: options,
          IPv4Data: req.ipv4.map((d) => encodeIpamData(d, capability.dataScope)),
          IPv6Data: req.ipv6.map((d) => encodeIpamData(d, capability.dataScope)),
        },
        opts,
      )
    },
    async deleteNetwork(req, opts) {
      await call('DeleteNetwork', { NetworkID: req.networkId }, opts)
    },
    async allocateNetwork(req, opts) {
      const res = await optional(
        'AllocateNetwork',
        {
          NetworkID: req.networkId,
          Options: req.options ?? {},
          IPv4Data: req.ipv4.map((d) => encodeIpamData(d, capability.dataScope)),
          IPv6Data: req.ipv6.map((d) => encodeIpamData(d, capability.dataScope)),
        },
        opts,
      )
      const out: Record<string, string> = {}
      const o = res?.Options
      if (o !== undefined && o !== null) {
        if (typeof o !== 'object' || Array.isArray(o)) {
          throw badResponse(facts('AllocateNetwork'), 'Options must be an object')
        }
        for (const [k, v] of Object.entries(o)) out[k] = String(v)
      }
      return out
    },
    async freeNetwork(req, opts) {
      await optional('FreeNetwork', { NetworkID: req.networkId }, opts)
    },
    async createEndpoint(req, opts): Promise<CreateEndpointResult> {
      const ids = { NetworkID: req.networkId, EndpointID: req.endpointId }
      const res = await call(
        'CreateEndpoint',
        {
          ...ids,
          Interface: encodeInterface(req.iface),
          Options: encodeEndpointOptions(req.options),
        },
        opts,
      )
      try {
        return { iface: mergeInterface(req.iface, res.Interface) }
      } catch (err) {
        await undo('DeleteEndpoint', ids)
        throw bad('CreateEndpoint', err)
      }
    },
    async deleteEndpoint(req, opts) {
      await call('DeleteEndpoint', { NetworkID: req.networkId, EndpointID: req.endpointId }, opts)
    },
    async endpointOperInfo(req): Promise<EndpointOperInfo> {
      const res = await optional('EndpointOperInfo', {
        NetworkID: req.networkId,
        EndpointID: req.endpointId,
      })
      return decodeOperInfo(res?.Value)
    },
    async join(req, opts): Promise<JoinResult> {
      const ids = { NetworkID: req.networkId, EndpointID: req.endpointId }
      const res = await call(
        'Join',
        { ...ids, SandboxKey: req.sandboxKey, Options: encodeEndpointOptions(req.options) },
        opts,
      )
      try {
        return decodeJoin(res)
      } catch (err) {
        await undo('Leave', ids)
        throw bad('Join', err)
      }
    },
    async leave(req, opts) {
      await call('Leave', { NetworkID: req.networkId, EndpointID: req.endpointId }, opts)
    },
    async programExternalConnectivity(req, opts) {
      await optional(
        'ProgramExternalConnectivity',
        {
          NetworkID: req.networkId,
          EndpointID: req.endpointId,
          Options: encodeEndpointOptions(req.options),
        },
        opts,
      )
      return []
    },
    async revokeExternalConnectivity(req, opts) {
      await optional(
        'RevokeExternalConnectivity',
        { NetworkID: req.networkId, EndpointID: req.endpointId },
        opts,
      )
    },
    async discoverNew(node, opts) {
      await call('DiscoverNew', notification(node), opts)
    },
    async discoverDelete(node, opts) {
      await call('DiscoverDelete', notification(node), opts)
    },
    async restore(_state, opts) {
      opts?.signal?.throwIfAborted()
      // The plugin keeps its own state across our restarts, as with upstream.
      return { removed: [], recreated: [] }
    },
    async stop() {
      client.close()
    },
  }
  return driver
}

function notification(node: NodeInfo) {
  return {
    DiscoveryType: DiscoveryType.node,
    DiscoveryData: { Address: node.address, BindAddress: node.bindAddress ?? '', Self: node.self },
  }
}
