/**
 * Error classes shared by every @libnetwork package.
 *
 * Each error carries a `category` (the daemon maps it to an HTTP status), a stable `code`
 * naming the failure, and the facts a caller needs in `details`. Errors are recognised across
 * duplicate installs of this package with `LibnetworkError.isInstance(err)` instead of
 * `instanceof`.
 */

export type ErrorCategory =
  | 'bad-request'
  | 'not-found'
  | 'conflict'
  | 'forbidden'
  | 'unavailable'
  | 'retry'
  | 'timeout'
  | 'not-implemented'
  | 'internal'

const MARK = Symbol.for('@libnetwork/error')

export interface LibnetworkErrorOptions {
  /** Facts of the failure: ids, addresses, ports, names. Must be JSON-serialisable. */
  details?: Record<string, unknown>
  cause?: unknown
}

/** What `isInstance` needs of a class: its instance type, name and category. */
export interface ErrorClass<E extends LibnetworkError> {
  readonly prototype: E
  readonly name: string
  readonly category?: ErrorCategory | undefined
}

export class LibnetworkError extends Error {
  static override name = 'LibnetworkError'
  /** The category a class stands for; the base class stands for all of them. */
  static readonly category: ErrorCategory | undefined = undefined
  readonly category: ErrorCategory
  readonly code: string
  readonly details: Record<string, unknown>

  constructor(
    category: ErrorCategory,
    code: string,
    message: string,
    options: LibnetworkErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.name = new.target.name
    this.category = category
    this.code = code
    this.details = options.details ?? {}
    // The mark holds the names of the error's classes, so `isInstance` works across copies.
    const classes: string[] = []
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error;) {
      classes.push(c.name)
      c = Object.getPrototypeOf(c)
    }
    Object.defineProperty(this, MARK, { value: classes })
  }

  /**
   * True when `err` is an error of this class, even one thrown by another copy of this
   * package: `LibnetworkError.isInstance` matches every libnetwork error, a category class
   * (`NotFoundError.isInstance`) the errors of its category, and a class below a category
   * (`NetworkNotFoundError`) its own errors and those of its subclasses.
   */
  static isInstance<E extends LibnetworkError>(this: ErrorClass<E>, err: unknown): err is E {
    if (typeof err !== 'object' || err === null || !(MARK in err)) return false
    const category = (err as { category?: unknown }).category
    if (this.category !== undefined && category !== this.category) return false
    if (Object.hasOwn(this, 'category')) return true
    const classes = (err as { [MARK]?: unknown })[MARK]
    return Array.isArray(classes) && classes.includes(this.name)
  }

  /** True when the operation may succeed if tried again unchanged. */
  get retryable(): boolean {
    return (
      this.category === 'retry' || this.category === 'unavailable' || this.category === 'timeout'
    )
  }

  toJSON(): {
    name: string
    category: ErrorCategory
    code: string
    message: string
    details: Record<string, unknown>
  } {
    return {
      name: this.name,
      category: this.category,
      code: this.code,
      message: this.message,
      details: this.details,
    }
  }
}

/** The caller asked for something malformed or impossible. */
export class BadRequestError extends LibnetworkError {
  static override name = 'BadRequestError'
  static override readonly category = 'bad-request'
  constructor(code: string, message: string, options?: LibnetworkErrorOptions) {
    super('bad-request', code, message, options)
  }
}

/** The named object does not exist. */
export class NotFoundError extends LibnetworkError {
  static override name = 'NotFoundError'
  static override readonly category = 'not-found'
  constructor(code: string, message: string, options?: LibnetworkErrorOptions) {
    super('not-found', code, message, options)
  }
}

/** The request clashes with existing state (taken address, duplicate name, in use). */
export class ConflictError extends LibnetworkError {
  static override name = 'ConflictError'
  static override readonly category = 'conflict'
  constructor(code: string, message: string, options?: LibnetworkErrorOptions) {
    super('conflict', code, message, options)
  }
}

/** The request is understood but not allowed. */
export class ForbiddenError extends LibnetworkError {
  static override name = 'ForbiddenError'
  static override readonly category = 'forbidden'
  constructor(code: string, message: string, options?: LibnetworkErrorOptions) {
    super('forbidden', code, message, options)
  }
}

/** A dependency (kernel facility, store, peer, tool) cannot be reached or is missing. */
export class UnavailableError extends LibnetworkError {
  static override name = 'UnavailableError'
  static override readonly category = 'unavailable'
  constructor(code: string, message: string, options?: LibnetworkErrorOptions) {
    super('unavailable', code, message, options)
  }
}

/** A transient conflict, such as a compare-and-swap on a stale version: try again. */
export class RetryError extends LibnetworkError {
  static override name = 'RetryError'
  static override readonly category = 'retry'
  constructor(code: string, message: string, options?: LibnetworkErrorOptions) {
    super('retry', code, message, options)
  }
}

/** The operation did not finish within its time limit. */
export class TimeoutError extends LibnetworkError {
  static override name = 'TimeoutError'
  static override readonly category = 'timeout'
  constructor(code: string, message: string, options?: LibnetworkErrorOptions) {
    super('timeout', code, message, options)
  }
}

/** The operation is valid but this implementation (or kernel) does not provide it. */
export class NotImplementedError extends LibnetworkError {
  static override name = 'NotImplementedError'
  static override readonly category = 'not-implemented'
  constructor(code: string, message: string, options?: LibnetworkErrorOptions) {
    super('not-implemented', code, message, options)
  }
}

/** A bug or an unexpected state. */
export class InternalError extends LibnetworkError {
  static override name = 'InternalError'
  static override readonly category = 'internal'
  constructor(code: string, message: string, options?: LibnetworkErrorOptions) {
    super('internal', code, message, options)
  }
}

const STATUS: Record<ErrorCategory, number> = {
  'bad-request': 400,
  forbidden: 403,
  'not-found': 404,
  conflict: 409,
  retry: 409,
  'not-implemented': 501,
  unavailable: 503,
  timeout: 504,
  internal: 500,
}

/** The HTTP status code the REST API answers for an error category. */
export function httpStatus(category: ErrorCategory): number {
  return STATUS[category]
}

/** Wrap anything thrown into a LibnetworkError, keeping libnetwork errors as they are. */
export function toLibnetworkError(err: unknown): LibnetworkError {
  if (LibnetworkError.isInstance(err)) return err
  const message = err instanceof Error ? err.message : String(err)
  return new InternalError('internal', message, { cause: err })
}
