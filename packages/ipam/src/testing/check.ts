/**
 * The few checks the compliance suite needs, framework-free: each throws an `Error` with a
 * message that says what the driver did, so any test runner reports it as a failure.
 */
import { IP, IPNet, LibnetworkError } from '@libnetwork/types'
import type { ErrorCategory } from '@libnetwork/types'

export class ComplianceError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'IpamComplianceError'
  }
}

export function fail(message: string): never {
  throw new ComplianceError(message)
}

export function ok(cond: unknown, message: string): void {
  if (!cond) fail(message)
}

export function equal<T>(got: T, want: T, what: string): void {
  if (got !== want) fail(`${what}: got ${show(got)}, want ${show(want)}`)
}

/** `v` through its own toString (IP, IPNet, an IP of another copy of the types package). */
function text(v: unknown): string {
  if (typeof v === 'string') return v
  if (v !== null && typeof v === 'object' && v.toString !== Object.prototype.toString) {
    return (v as { toString(): string }).toString()
  }
  return show(v)
}

function show(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v)
  if (typeof v === 'bigint') return `${v}n`
  if (v !== null && typeof v === 'object' && v.toString !== Object.prototype.toString) {
    return text(v)
  }
  try {
    const json = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `${x}n` : x))
    return json ?? typeof v
  } catch {
    return typeof v
  }
}

/**
 * Await `p`, expecting a LibnetworkError of `category` (and `code`, when given). Returns it.
 */
export async function rejects(
  p: Promise<unknown>,
  category: ErrorCategory,
  what: string,
  code?: string,
): Promise<LibnetworkError> {
  let value: unknown
  try {
    value = await p
  } catch (err) {
    if (!LibnetworkError.isInstance(err)) {
      fail(`${what}: expected a ${category} error, got ${String(err)}`)
    }
    if (err.category !== category) {
      fail(
        `${what}: expected a ${category} error, got ${err.category} (${err.code}: ${err.message})`,
      )
    }
    if (code !== undefined && err.code !== code) {
      fail(`${what}: expected code ${code}, got ${err.code} (${err.message})`)
    }
    return err
  }
  return fail(`${what}: expected a ${category} error, but it resolved with ${show(value)}`)
}

/** Await `p`, expecting a rejection with an AbortError (the aborted signal's reason). */
export async function aborts(p: Promise<unknown>, what: string): Promise<void> {
  try {
    await p
  } catch (err) {
    if ((err as { name?: unknown }).name === 'AbortError') return
    fail(`${what}: expected an AbortError, got ${String(err)}`)
  }
  fail(`${what}: expected an AbortError, but it resolved`)
}

/** The text of an IPNet or a string that parses as one (a driver may return either shape). */
export function netText(v: unknown, what: string): string {
  if (v instanceof IPNet) return v.toString()
  if (typeof v === 'string' || (typeof v === 'object' && v !== null)) {
    try {
      return IPNet.parse(text(v)).toString()
    } catch {
      // fall through
    }
  }
  return fail(`${what}: not a network: ${show(v)}`)
}

/** `{ ip, prefix }` of an interface address as text, checked for shape. */
export function addrOf(v: unknown, what: string): { ip: IP; prefix: number } {
  const a = v as { ip?: unknown; prefix?: unknown } | undefined
  if (!a || typeof a !== 'object' || typeof a.prefix !== 'number' || a.ip === undefined) {
    fail(`${what}: expected an interface address ({ ip, prefix }), got ${show(v)}`)
  }
  let ip: IP
  try {
    ip = a.ip instanceof IP ? a.ip : IP.parse(text(a.ip))
  } catch {
    return fail(`${what}: not an IP address: ${show(a.ip)}`)
  }
  return { ip, prefix: a.prefix }
}
