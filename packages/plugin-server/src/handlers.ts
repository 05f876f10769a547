import type {
  AddressSpacesResponse,
  AllocateNetworkRequest,
  AllocateNetworkResponse,
  CapabilitiesResponse,
  CreateEndpointRequest,
  CreateEndpointResponse,
  CreateNetworkRequest,
  DiscoveryNotification,
  EndpointInfoResponse,
  EndpointRequest,
  IpamCapabilitiesResponse,
  JoinRequest,
  JoinResponse,
  NetworkIdRequest,
  ProgramExternalConnectivityRequest,
  ReleaseAddressRequest,
  ReleasePoolRequest,
  RequestAddressRequest,
  RequestAddressResponse,
  RequestPoolRequest,
  RequestPoolResponse,
} from './protocol.js'

/** What a handler gets besides the request. */
export interface CallContext {
  /** Aborted when the client goes away before the answer is sent. */
  signal: AbortSignal
}

/** A handler answers with the response body (without `Err`), or throws to answer `{"Err": …}`. */
export type Handler<Req, Res> = (req: Req, ctx: CallContext) => Res | Promise<Res>

/**
 * The calls of a network driver plugin. The six calls of every network's life are required;
 * the rest are optional: without `getCapabilities` the plugin says `local` scope, without
 * `endpointOperInfo` an empty value, without `discoverNew`/`discoverDelete` nothing happens, and
 * the others answer 404, which clients read as "not supported".
 */
export interface NetworkDriverHandlers {
  getCapabilities?: Handler<null, CapabilitiesResponse>
  createNetwork: Handler<CreateNetworkRequest, void>
  deleteNetwork: Handler<NetworkIdRequest, void>
  allocateNetwork?: Handler<AllocateNetworkRequest, AllocateNetworkResponse | void>
  freeNetwork?: Handler<NetworkIdRequest, void>
  createEndpoint: Handler<CreateEndpointRequest, CreateEndpointResponse | void>
  deleteEndpoint: Handler<EndpointRequest, void>
  endpointOperInfo?: Handler<EndpointRequest, EndpointInfoResponse>
  join: Handler<JoinRequest, JoinResponse>
  leave: Handler<EndpointRequest, void>
  programExternalConnectivity?: Handler<ProgramExternalConnectivityRequest, void>
  revokeExternalConnectivity?: Handler<EndpointRequest, void>
  discoverNew?: Handler<DiscoveryNotification, void>
  discoverDelete?: Handler<DiscoveryNotification, void>
}

/**
 * The calls of an IPAM driver plugin. Without `getCapabilities` the plugin needs no MAC and no
 * replay; without `getDefaultAddressSpaces` its spaces are `local` and `global`.
 */
export interface IpamDriverHandlers {
  getCapabilities?: Handler<null, IpamCapabilitiesResponse>
  getDefaultAddressSpaces?: Handler<null, AddressSpacesResponse>
  requestPool: Handler<RequestPoolRequest, RequestPoolResponse>
  releasePool: Handler<ReleasePoolRequest, void>
  requestAddress: Handler<RequestAddressRequest, RequestAddressResponse>
  releaseAddress: Handler<ReleaseAddressRequest, void>
}

type FieldType = 'string' | 'object' | 'array' | 'boolean' | 'number'

/** One field of a request: its JSON type, and the value when absent (absent = required). */
interface Field {
  type: FieldType
  default?: () => unknown
}

const str = { type: 'string' } as const
const optStr = { type: 'string', default: () => '' } as const
const obj = { type: 'object', default: () => ({}) } as const
const arr = { type: 'array', default: () => [] } as const
const ids = { NetworkID: str }
const epIds = { NetworkID: str, EndpointID: str }

/** A call the server knows: which handler set and key serve it, and its request fields. */
export interface Method {
  iface: 'NetworkDriver' | 'IpamDriver'
  key: string
  /** Request fields; `null`: the call has no request body. */
  fields: Record<string, Field> | null
  /** The answer when the plugin gives no handler; absent: 404. */
  fallback?: () => unknown
}

const network = (key: string, fields: Method['fields'], fallback?: () => unknown): Method => ({
  iface: 'NetworkDriver',
  key,
  fields,
  ...(fallback ? { fallback } : {}),
})
const ipam = (key: string, fields: Method['fields'], fallback?: () => unknown): Method => ({
  iface: 'IpamDriver',
  key,
  fields,
  ...(fallback ? { fallback } : {}),
})

/** Every call of the protocol, by URL path. */
export const METHODS: ReadonlyMap<string, Method> = new Map<string, Method>([
  ['/NetworkDriver.GetCapabilities', network('getCapabilities', null, () => ({ Scope: 'local' }))],
  [
    '/NetworkDriver.CreateNetwork',
    network('createNetwork', { ...ids, Options: obj, IPv4Data: arr, IPv6Data: arr }),
  ],
  ['/NetworkDriver.DeleteNetwork', network('deleteNetwork', ids)],
  [
    '/NetworkDriver.AllocateNetwork',
    network('allocateNetwork', { ...ids, Options: obj, IPv4Data: arr, IPv6Data: arr }),
  ],
  ['/NetworkDriver.FreeNetwork', network('freeNetwork', ids)],
  [
    '/NetworkDriver.CreateEndpoint',
    network('createEndpoint', { ...epIds, Interface: obj, Options: obj }),
  ],
  ['/NetworkDriver.DeleteEndpoint', network('deleteEndpoint', epIds)],
  ['/NetworkDriver.EndpointOperInfo', network('endpointOperInfo', epIds, () => ({ Value: {} }))],
  ['/NetworkDriver.Join', network('join', { ...epIds, SandboxKey: str, Options: obj })],
  ['/NetworkDriver.Leave', network('leave', epIds)],
  [
    '/NetworkDriver.ProgramExternalConnectivity',
    network('programExternalConnectivity', { ...epIds, Options: obj }),
  ],
  ['/NetworkDriver.RevokeExternalConnectivity', network('revokeExternalConnectivity', epIds)],
  [
    '/NetworkDriver.DiscoverNew',
    network('discoverNew', { DiscoveryType: { type: 'number' } }, () => ({})),
  ],
  [
    '/NetworkDriver.DiscoverDelete',
    network('discoverDelete', { DiscoveryType: { type: 'number' } }, () => ({})),
  ],
  [
    '/IpamDriver.GetCapabilities',
    ipam('getCapabilities', null, () => ({
      RequiresMACAddress: false,
      RequiresRequestReplay: false,
    })),
  ],
  [
    '/IpamDriver.GetDefaultAddressSpaces',
    ipam('getDefaultAddressSpaces', null, () => ({
      LocalDefaultAddressSpace: 'local',
      GlobalDefaultAddressSpace: 'global',
    })),
  ],
  [
    '/IpamDriver.RequestPool',
    ipam('requestPool', {
      AddressSpace: optStr,
      Pool: optStr,
      SubPool: optStr,
      Options: obj,
      V6: { type: 'boolean', default: () => false },
    }),
  ],
  ['/IpamDriver.ReleasePool', ipam('releasePool', { PoolID: str })],
  [
    '/IpamDriver.RequestAddress',
    ipam('requestAddress', { PoolID: str, Address: optStr, Options: obj }),
  ],
  ['/IpamDriver.ReleaseAddress', ipam('releaseAddress', { PoolID: str, Address: str })],
])

function typeOf(v: unknown): FieldType | 'null' | 'other' {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'array'
  const t = typeof v
  return t === 'string' || t === 'object' || t === 'boolean' || t === 'number' ? t : 'other'
}

/**
 * Check a request body against a method's fields and fill in absent optional ones. Returns the
 * request, or a message saying what is wrong. JSON `null` counts as absent (Go encodes nil maps
 * and slices as `null`).
 */
export function checkRequest(method: Method, body: unknown): { req: unknown } | { error: string } {
  if (method.fields === null) return { req: null }
  if (typeOf(body) !== 'object') return { error: 'the request body must be a JSON object' }
  const req: Record<string, unknown> = { ...(body as Record<string, unknown>) }
  for (const [name, field] of Object.entries(method.fields)) {
    const v = req[name]
    if (v === undefined || v === null) {
      if (!field.default) return { error: `${name} is required` }
      req[name] = field.default()
    } else if (typeOf(v) !== field.type) {
      return { error: `${name} must be a ${field.type}` }
    }
  }
  return { req }
}
