/**
 * @packageDocumentation
 * Shared base of the @libnetwork packages: error classes with categories, and IP/CIDR values.
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
export type { ErrorCategory, LibnetworkErrorOptions } from './errors.js'
export { IP, IPNet, InterfaceAddress } from './ip.js'
export type { IPVersion } from './ip.js'
export { noopLogger } from './logger.js'
export type { Logger, LogFields } from './logger.js'
