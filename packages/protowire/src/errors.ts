/** Typed errors for malformed wire input and values that cannot be encoded. */
import { BadRequestError } from '@libnetwork/types'

/**
 * What was wrong with the input: `truncated` (it ends inside a field), `varint` (longer than
 * 10 bytes, or too large for the number asked for), `field` (field number 0 or above 2^29 − 1),
 * `wire-type` (wire type 3, 4, 6 or 7, or not the one a known field needs), `utf8` (a string
 * that is not UTF-8, when strict).
 */
export type WireFault = 'truncated' | 'varint' | 'field' | 'wire-type' | 'utf8'

/**
 * The `code` of the errors a reader throws: one code for every fault, or a code per fault.
 * Default: `protowire.<fault>`. A package keeps its own stable codes this way
 * (`(f) => 'cluster.proto-' + f`).
 */
export type ErrorCode = string | ((fault: WireFault) => string)

export const defaultCode = (fault: WireFault): string => `protowire.${fault}`

export function wireError(
  code: ErrorCode | undefined,
  fault: WireFault,
  what: string,
  why: string,
  details: Record<string, unknown>,
): BadRequestError {
  const c = code === undefined ? defaultCode(fault) : typeof code === 'string' ? code : code(fault)
  return new BadRequestError(c, `malformed ${what}: ${why}`, {
    details: { what, fault, ...details },
  })
}

/** A value the writer cannot put on the wire (a negative or fractional varint, say). */
export function badValue(why: string, value: unknown): BadRequestError {
  return new BadRequestError('protowire.bad-value', why, { details: { value } })
}
