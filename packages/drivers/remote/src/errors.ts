import {
  BadRequestError,
  ConflictError,
  ForbiddenError,
  InternalError,
  LibnetworkError,
  NotFoundError,
  NotImplementedError,
  RetryError,
  TimeoutError,
  UnavailableError,
  type ErrorCategory,
  type LibnetworkErrorOptions,
} from '@libnetwork/types'

type ErrorClass = new (
  code: string,
  message: string,
  options?: LibnetworkErrorOptions,
) => LibnetworkError

const BY_CATEGORY: Record<ErrorCategory, ErrorClass> = {
  'bad-request': BadRequestError,
  'not-found': NotFoundError,
  conflict: ConflictError,
  forbidden: ForbiddenError,
  unavailable: UnavailableError,
  retry: RetryError,
  timeout: TimeoutError,
  'not-implemented': NotImplementedError,
  internal: InternalError,
}

const BY_STATUS: Record<number, ErrorCategory> = {
  400: 'bad-request',
  403: 'forbidden',
  404: 'not-found',
  409: 'conflict',
  501: 'not-implemented',
  503: 'unavailable',
  504: 'timeout',
}

/** Error codes of this package, with their categories. */
export const PluginErrorCode = {
  /** The category the plugin gave (our server), or by HTTP status; else internal. */
  pluginError: 'plugin-error',
  /** not-found: the plugin does not serve this call (HTTP 404 without a typed error). */
  notSupported: 'plugin-not-supported',
  /** unavailable: the plugin cannot be reached, or went away mid-call. */
  unavailable: 'plugin-unavailable',
  /** timeout: no answer within the call's time limit. */
  timeout: 'plugin-timeout',
  /** internal: the answer is not valid JSON or not the protocol's shape. */
  badResponse: 'plugin-bad-response',
  /** not-found: the plugin's handshake does not list the wanted kind (NetworkDriver, IpamDriver). */
  notImplements: 'plugin-not-implements',
} as const

export interface CallFacts {
  plugin: string
  method: string
}

/**
 * The error for a failed call: the category our server put in its headers, else the one the
 * HTTP status says (a 200 with `Err` or a 500 is `internal`, as upstream turns both into a
 * plain error). The plugin's message is kept as is.
 */
export function remoteError(
  facts: CallFacts,
  status: number,
  message: string,
  category?: string,
  code?: string,
): LibnetworkError {
  const known = category !== undefined && category in BY_CATEGORY
  const cat: ErrorCategory = known ? (category as ErrorCategory) : (BY_STATUS[status] ?? 'internal')
  const c =
    known && code !== undefined && code !== ''
      ? code
      : status === 404 && !known
        ? PluginErrorCode.notSupported
        : PluginErrorCode.pluginError
  const Class = BY_CATEGORY[cat]
  return new Class(c, `plugin ${facts.plugin}: ${facts.method}: ${message}`, {
    details: { ...facts, status, pluginMessage: message },
  })
}

export function badResponse(facts: CallFacts, why: string, cause?: unknown): InternalError {
  return new InternalError(
    PluginErrorCode.badResponse,
    `plugin ${facts.plugin}: ${facts.method}: bad answer: ${why}`,
    { details: { ...facts }, cause },
  )
}

/** The plugin did not serve this call (404 from a plugin that is not ours). */
export function isNotSupported(err: unknown): boolean {
  return LibnetworkError.isInstance(err) && err.code === PluginErrorCode.notSupported
}
