/**
 * @packageDocumentation
 * The null network driver. Endpoints get no interface: the sandbox keeps only its loopback (upstream's `none` network).
 * One network at most, as upstream.
 */
import {
  AlreadyExistsError,
  DriverForbiddenError,
  EndpointNotFoundError,
  InvalidOptionError,
  NetworkNotFoundError,
  type Driver,
  type DriverFactory,
  type JoinResult,
  type OperationOptions,
} from '@libnetwork/driverapi'

/** Options of the null driver: there are none. */
export type NullDriverOptions = Record<string, never>

/** Reject before any change when the caller gave up already. */
const check = (opts: OperationOptions | undefined) => opts?.signal?.throwIfAborted()

/** A factory for the null driver. */
export function nullDriver(): DriverFactory {
  return singleNetworkDriver('null')
}

/**
 * A driver of at most one network whose endpoints get no interface: the null driver, and
 * (under its own type name) the host driver, whose sandboxes share the host's namespace.
 */
export function singleNetworkDriver(
  type: string,
  opts: { sharesHostNetwork?: boolean } = {},
): DriverFactory {
  return () => {
    let network: string | undefined
    const endpoints = new Map<string, boolean>()
    const mustHave = (networkId: string) => {
      if (network !== networkId) throw new NetworkNotFoundError(networkId)
    }
    const mustHaveEp = (networkId: string, endpointId: string) => {
      mustHave(networkId)
      if (!endpoints.has(endpointId)) throw new EndpointNotFoundError(networkId, endpointId)
    }
    const driver: Driver = {
      type,
      capability: {
        dataScope: 'local',
        connectivityScope: 'local',
        needsIpam: false,
        sharesHostNetwork: opts.sharesHostNetwork ?? false,
      },
      parseNetworkOptions(raw) {
        if (raw === undefined || raw === null) return {}
        if (typeof raw !== 'object' || Array.isArray(raw)) {
          throw new InvalidOptionError('options', 'must be an object')
        }
        const keys = Object.keys(raw)
        if (keys.length > 0)
          throw new InvalidOptionError(keys[0]!, `the ${type} driver takes no options`)
        return {}
      },
      async createNetwork(req, opts) {
        check(opts)
        if (network === req.networkId) throw new AlreadyExistsError('network', req.networkId)
        if (network !== undefined)
          throw new DriverForbiddenError(type, `only one ${type} network may exist`)
        network = req.networkId
      },
      async deleteNetwork(req, opts) {
        check(opts)
        mustHave(req.networkId)
        if (endpoints.size > 0) throw new DriverForbiddenError(type, 'network still has endpoints')
        network = undefined
      },
      async createEndpoint(req, opts) {
        check(opts)
        mustHave(req.networkId)
        if (endpoints.has(req.endpointId)) throw new AlreadyExistsError('endpoint', req.endpointId)
        endpoints.set(req.endpointId, false)
        return { iface: { ...req.iface } }
      },
      async deleteEndpoint(req, opts) {
        check(opts)
        mustHaveEp(req.networkId, req.endpointId)
        endpoints.delete(req.endpointId)
      },
      async endpointOperInfo(req) {
        mustHaveEp(req.networkId, req.endpointId)
        return { portBindings: [], exposedPorts: [], joined: endpoints.get(req.endpointId) }
      },
      async join(req, opts): Promise<JoinResult> {
        check(opts)
        mustHaveEp(req.networkId, req.endpointId)
        endpoints.set(req.endpointId, true)
        return { interfaces: [], staticRoutes: [], disableGatewayService: true }
      },
      async leave(req, opts) {
        check(opts)
        mustHaveEp(req.networkId, req.endpointId)
        endpoints.set(req.endpointId, false)
      },
      async programExternalConnectivity(req, opts) {
        check(opts)
        mustHaveEp(req.networkId, req.endpointId)
        return []
      },
      async revokeExternalConnectivity(req, opts) {
        check(opts)
        mustHaveEp(req.networkId, req.endpointId)
      },
      async restore(state, opts) {
        check(opts)
        network = state.networks[0]?.networkId
        endpoints.clear()
        for (const e of state.endpoints) endpoints.set(e.endpointId, e.sandboxKey !== undefined)
        return { removed: [], recreated: [] }
      },
      async stop() {},
    }
    return driver
  }
}
