import { BadRequestError, RetryError, UnavailableError } from '@libnetwork/types'
import type { BatchOp } from './contract.js'

/** Limits applied by every backend before anything is written. */
export interface Limits {
  /** Longest key in bytes (default 512). */
  maxKeyBytes: number
  /** Largest value in bytes (default 1 MiB; etcd refuses requests over 1.5 MiB). */
  maxValueBytes: number
}

export const DEFAULT_LIMITS: Limits = { maxKeyBytes: 512, maxValueBytes: 1024 * 1024 }

// Segments of [A-Za-z0-9._~:@+=,-] joined by single slashes; a trailing slash is allowed.
const SEGMENT = '[A-Za-z0-9._~:@+=,-]+'
const KEY_RE = new RegExp(`^${SEGMENT}(?:/${SEGMENT})*/?$`)
const PREFIX_RE = new RegExp(`^(?:${SEGMENT}(?:/${SEGMENT})*/?)?$`)

/** Throws BadRequestError unless `key` is a legal key. */
export function checkKey(key: unknown, limits: Limits): asserts key is string {
  if (typeof key !== 'string' || !KEY_RE.test(key)) {
    throw new BadRequestError(
      'invalid-key',
      `invalid key ${JSON.stringify(key)}: use segments of letters, digits and . _ ~ : @ + = , - separated by single slashes`,
      { details: { key: typeof key === 'string' ? key : String(key) } },
    )
  }
  if (key.length > limits.maxKeyBytes) {
    throw new BadRequestError(
      'key-too-long',
      `key of ${key.length} bytes is over the limit of ${limits.maxKeyBytes}`,
      { details: { key: key.slice(0, 64), size: key.length, limit: limits.maxKeyBytes } },
    )
  }
}

/** Throws BadRequestError unless `prefix` is empty or a legal key prefix. */
export function checkPrefix(prefix: unknown, limits: Limits): asserts prefix is string {
  if (typeof prefix !== 'string' || !PREFIX_RE.test(prefix) || prefix.length > limits.maxKeyBytes) {
    throw new BadRequestError('invalid-key', `invalid key prefix ${JSON.stringify(prefix)}`, {
      details: { prefix: typeof prefix === 'string' ? prefix : String(prefix) },
    })
  }
}

export function checkValue(
  key: string,
  value: unknown,
  limits: Limits,
): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new BadRequestError('invalid-value', `value for ${key} must be a Uint8Array`, {
      details: { key },
    })
  }
  if (value.byteLength > limits.maxValueBytes) {
    throw new BadRequestError(
      'value-too-large',
      `value for ${key} is ${value.byteLength} bytes, over the limit of ${limits.maxValueBytes}`,
      { details: { key, size: value.byteLength, limit: limits.maxValueBytes } },
    )
  }
}

export function checkVersion(key: string, version: unknown, optional: boolean): void {
  if (version === undefined && optional) return
  if (typeof version !== 'number' || !Number.isSafeInteger(version) || version < 1) {
    throw new BadRequestError(
      'invalid-version',
      `previous version for ${key} must be a positive integer, got ${String(version)}`,
      { details: { key } },
    )
  }
}

export function checkBatch(ops: unknown, limits: Limits): asserts ops is readonly BatchOp[] {
  if (!Array.isArray(ops)) {
    throw new BadRequestError('invalid-batch', 'a batch must be an array of operations')
  }
  const seen = new Set<string>()
  for (const op of ops as unknown[]) {
    const o = op as Partial<BatchOp> | null
    if (o === null || typeof o !== 'object' || (o.type !== 'put' && o.type !== 'delete')) {
      throw new BadRequestError('invalid-batch', `unknown batch operation ${JSON.stringify(op)}`)
    }
    checkKey(o.key, limits)
    if (o.type === 'put') checkValue(o.key, o.value, limits)
    if (o.previous !== undefined && !(o.previous === 'absent' && o.type === 'put')) {
      checkVersion(o.key, o.previous, false)
    }
    // etcd refuses a transaction that names a key twice; every backend does the same.
    if (seen.has(o.key)) {
      throw new BadRequestError('invalid-batch', `batch writes ${o.key} more than once`, {
        details: { key: o.key },
      })
    }
    seen.add(o.key)
  }
}

/** The retryable conflict of a compare-and-swap on an outdated version. */
export function staleVersion(
  key: string,
  expected: number | undefined,
  actual: number | undefined,
): RetryError {
  const want = expected === undefined ? 'absent' : `version ${expected}`
  const have = actual === undefined ? 'absent' : `at version ${actual}`
  return new RetryError('stale-version', `${key}: expected ${want}, but it is ${have}`, {
    details: { key, expected: expected ?? null, actual: actual ?? null },
  })
}

/** The first failed condition of a conditional batch, as the error a failed CAS throws. */
export function failedCondition(
  ops: readonly BatchOp[],
  version: (key: string) => number | undefined,
): RetryError | undefined {
  for (const op of ops) {
    if (op.previous === undefined) continue
    const actual = version(op.key)
    const expected = op.previous === 'absent' ? undefined : op.previous
    if (actual !== expected) return staleVersion(op.key, expected, actual)
  }
  return undefined
}

/** True when some operation of the batch carries a condition. */
export function isConditional(ops: readonly BatchOp[]): boolean {
  return ops.some((op) => op.previous !== undefined)
}

export function closedError(backend: string): UnavailableError {
  return new UnavailableError('store-closed', `the ${backend} store is closed`, {
    details: { backend },
  })
}
