import { BadRequestError, ConflictError, ForbiddenError, NotFoundError } from '@libnetwork/types'

export type ObjectKind = 'network' | 'endpoint' | 'sandbox' | 'driver' | 'ipam driver'

/** No such network, endpoint, sandbox, driver or IPAM driver. */
export class ObjectNotFoundError extends NotFoundError {
  static override name = 'ObjectNotFoundError'
  constructor(kind: ObjectKind, id: string) {
    super(`${kind.replace(' ', '-')}-not-found`, `${kind} ${id} not found`, {
      details: { kind, id },
    })
  }
}

/** A name is already taken. */
export class NameConflictError extends ConflictError {
  static override name = 'NameConflictError'
  constructor(kind: ObjectKind, name: string, scope?: string) {
    super(
      `${kind}-name-exists`,
      `${kind} with name ${name} already exists${scope ? ` in ${scope}` : ''}`,
      { details: { kind, name, ...(scope ? { scope } : {}) } },
    )
  }
}

/** The object is still used by others (network with endpoints, joined endpoint). */
export class InUseError extends ForbiddenError {
  static override name = 'InUseError'
  constructor(
    kind: ObjectKind,
    id: string,
    message: string,
    details: Record<string, unknown> = {},
  ) {
    super(`${kind}-in-use`, `${kind} ${id} ${message}`, { details: { kind, id, ...details } })
  }
}

/** Malformed options at the controller's API. */
export class InvalidConfigError extends BadRequestError {
  static override name = 'InvalidConfigError'
  constructor(field: string, message: string, details: Record<string, unknown> = {}) {
    super('invalid-config', `${field}: ${message}`, { details: { field, ...details } })
  }
}

/** A subnet overlaps the subnet of an existing network. */
export class OverlapError extends ConflictError {
  static override name = 'OverlapError'
  constructor(subnet: string, network: string, existing: string) {
    super('subnet-overlap', `subnet ${subnet} overlaps ${existing} of network ${network}`, {
      details: { subnet, network, existing },
    })
  }
}
