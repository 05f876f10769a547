import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  NotImplementedError,
} from '@libnetwork/types'

/** The driver does not know this network id. */
export class NetworkNotFoundError extends NotFoundError {
  static override name = 'NetworkNotFoundError'
  constructor(networkId: string) {
    super('driver-network-not-found', `network ${networkId} not found in driver`, {
      details: { networkId },
    })
  }
}

/** The driver does not know this endpoint id. */
export class EndpointNotFoundError extends NotFoundError {
  static override name = 'EndpointNotFoundError'
  constructor(networkId: string, endpointId: string) {
    super('driver-endpoint-not-found', `endpoint ${endpointId} not found in network ${networkId}`, {
      details: { networkId, endpointId },
    })
  }
}

/** The id is already in use in the driver. */
export class AlreadyExistsError extends ConflictError {
  static override name = 'AlreadyExistsError'
  constructor(kind: 'network' | 'endpoint', id: string) {
    super(`driver-${kind}-exists`, `${kind} ${id} already exists in driver`, {
      details: { kind, id },
    })
  }
}

/** An option given to the driver is malformed or unknown. */
export class InvalidOptionError extends BadRequestError {
  static override name = 'InvalidOptionError'
  constructor(option: string, message: string, details: Record<string, unknown> = {}) {
    super('driver-invalid-option', `invalid option ${option}: ${message}`, {
      details: { option, ...details },
    })
  }
}

/** The driver refuses the operation (e.g. a second network of a singleton driver). */
export class DriverForbiddenError extends ForbiddenError {
  static override name = 'DriverForbiddenError'
  constructor(driver: string, message: string) {
    super('driver-forbidden', `${driver}: ${message}`, { details: { driver } })
  }
}

/** The driver does not support this operation. */
export class DriverNotImplementedError extends NotImplementedError {
  static override name = 'DriverNotImplementedError'
  constructor(driver: string, operation: string) {
    super('driver-not-implemented', `${driver} driver does not support ${operation}`, {
      details: { driver, operation },
    })
  }
}
