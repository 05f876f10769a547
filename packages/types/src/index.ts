/**
 * @packageDocumentation
 * Shared base of the @libnetwork packages: error classes with categories, IP/CIDR values, and
 * the port and route values several layers share.
 */
export {
  LibnetworkError,
  BadRequestError,
  NotFoundError,
  ConflictError,
  ForbiddenError,
  UnavailableError,
  RetryError,
  TimeoutError,
  NotImplementedError,
  InternalError,
  httpStatus,
  toLibnetworkError,
} from './errors.js'
export type { ErrorCategory, ErrorClass, LibnetworkErrorOptions } from './errors.js'
export { IP, IPNet, InterfaceAddress } from './ip.js'
export type { IPVersion } from './ip.js'
export { noopLogger } from './logger.js'
export type { Logger, LogFields } from './logger.js'
export { PROTOCOLS } from './network.js'
export type {
  Protocol,
  PortRange,
  ExposedPort,
  PortBinding,
  RouteType,
  StaticRoute,
} from './network.js'
