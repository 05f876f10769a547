/**
 * @packageDocumentation
 * The network driver contract: what the controller calls on a driver and what a driver
 * answers. Types and errors only; implementations live in `@libnetwork/driver-*`.
 */
export type {
  DataScope,
  Capability,
  IpamData,
  Protocol,
  ExposedPort,
  PortBinding,
  BoundPort,
  CreateNetworkRequest,
  NetworkRef,
  EndpointInterface,
  CreateEndpointRequest,
  EndpointOptions,
  CreateEndpointResult,
  EndpointRef,
  JoinRequest,
  JoinInterface,
  RouteType,
  StaticRoute,
  JoinResult,
  ExternalConnectivityRequest,
  EndpointOperInfo,
  RestoreState,
  RestoreReport,
  OperationOptions,
  Driver,
  DriverFactory,
  DriverComponents,
  DriverResolver,
  AllocateNetworkRequest,
  FreeNetworkRequest,
} from './driver.js'
export type { ClusterTables, TableEvent, TableWatch, TableWatchOptions } from './cluster.js'
export {
  NetworkNotFoundError,
  EndpointNotFoundError,
  AlreadyExistsError,
  InvalidOptionError,
  DriverForbiddenError,
  DriverNotImplementedError,
} from './errors.js'
export { checkPortBinding, portBindingKey } from './ports.js'
