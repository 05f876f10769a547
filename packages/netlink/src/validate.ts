/** Checks on caller input, done before anything reaches the kernel. */
import { BadRequestError } from '@libnetwork/types'

/** Interface names: 1-15 bytes, no "/", ":" or whitespace, not "." or "..". */
export function checkIfName(name: unknown, field = 'name'): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    Buffer.byteLength(name) > 15 ||
    /[/:\s]/.test(name) ||
    name === '.' ||
    name === '..'
  ) {
    throw new BadRequestError(
      'invalid-ifname',
      `invalid interface ${field} ${JSON.stringify(name)}: 1-15 bytes without "/", ":" or spaces`,
      { details: { [field]: name } },
    )
  }
  return name
}

export function checkInt(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BadRequestError(
      `invalid-${field.toLowerCase()}`,
      `invalid ${field} ${JSON.stringify(value)}: an integer from ${min} to ${max}`,
      { details: { [field]: value } },
    )
  }
  return value
}

export function checkEnum<T extends string>(
  value: unknown,
  field: string,
  allowed: readonly T[],
): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) {
    throw new BadRequestError(
      `invalid-${field.toLowerCase()}`,
      `invalid ${field} ${JSON.stringify(value)}: one of ${allowed.join(', ')}`,
      { details: { [field]: value } },
    )
  }
  return value as T
}

/* Duck-typed checks: `instanceof` fails when two copies of @libnetwork/types are installed. */
type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null

export function isIP(v: unknown): boolean {
  return (
    isObj(v) &&
    (v.version === 4 || v.version === 6) &&
    typeof v.value === 'bigint' &&
    typeof v.toBytes === 'function'
  )
}

export function isIPNet(v: unknown): boolean {
  return isObj(v) && typeof v.base === 'bigint' && typeof v.prefix === 'number' && isIP(v.ip)
}

export function isInterfaceAddress(v: unknown): boolean {
  return isObj(v) && typeof v.prefix === 'number' && isIP(v.ip) && isObj(v.network)
}
