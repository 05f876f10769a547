/**
 * @packageDocumentation
 * The network driver contract: what the controller calls on a driver and what a driver
 * answers. Types and errors only; implementations live in `@libnetwork/driver-*`.
 */
export type {
  DataScope,
  Capability,
  IpamData,
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
// Shared values, declared in @libnetwork/types; re-exported as part of the contract.
export type { Protocol, ExposedPort, PortBinding, RouteType, StaticRoute } from '@libnetwork/types'
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
