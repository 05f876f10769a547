/**
 * @packageDocumentation
 * Write Docker network and IPAM plugins in Node: typed handlers for each call of the plugin
 * protocol v1, the `/Plugin.Activate` handshake and its `Implements` list, the unix socket
 * (or a TCP port), the `application/vnd.docker.plugins.v1+json` content type and the
 * `{"Err": "…"}` error form. The protocol's JSON shapes are exported as types.
 */
export { pluginServer, DEFAULT_SOCKET_DIR } from './server.js'
export type { PluginServer, PluginServerOptions, ListenAddress } from './server.js'
export type { CallContext, Handler, NetworkDriverHandlers, IpamDriverHandlers } from './handlers.js'
export {
  PLUGIN_CONTENT_TYPE,
  ACCEPTED_CONTENT_TYPES,
  NETWORK_DRIVER,
  IPAM_DRIVER,
  ERROR_CATEGORY_HEADER,
  ERROR_CODE_HEADER,
  Label,
  RouteType,
  DiscoveryType,
  Proto,
} from './protocol.js'
export type {
  ErrorResponse,
  ActivateResponse,
  CapabilitiesResponse,
  IPAMData,
  CreateNetworkRequest,
  AllocateNetworkRequest,
  AllocateNetworkResponse,
  NetworkIdRequest,
  DeleteNetworkRequest,
  FreeNetworkRequest,
  EndpointInterface,
  CreateEndpointRequest,
  CreateEndpointResponse,
  EndpointRequest,
  DeleteEndpointRequest,
  EndpointInfoRequest,
  LeaveRequest,
  RevokeExternalConnectivityRequest,
  EndpointInfoResponse,
  JoinRequest,
  InterfaceName,
  StaticRoute,
  JoinResponse,
  ProgramExternalConnectivityRequest,
  NodeDiscoveryData,
  DiscoveryNotification,
  PortBinding,
  TransportPort,
  IpamCapabilitiesResponse,
  AddressSpacesResponse,
  RequestPoolRequest,
  RequestPoolResponse,
  ReleasePoolRequest,
  RequestAddressRequest,
  RequestAddressResponse,
  ReleaseAddressRequest,
} from './protocol.js'
