/**
 * Hosts-file records: validation, parsing and formatting.
 */
import { BadRequestError, IP } from '@libnetwork/types'

/** One line of a hosts file: an address and its names (the first is canonical). */
export interface HostRecord {
  ip: IP
  names: string[]
}

const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/

/** Check a host name (labels of letters, digits, `-`, `_`; at most 253 characters). */
export function validateHostName(name: string): string {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 253 ||
    !name.split('.').every((l) => LABEL.test(l))
  ) {
    throw new BadRequestError('invalid-hostname', `invalid host name ${JSON.stringify(name)}`, {
      details: { value: name },
    })
  }
  return name
}

/** Check a record; throws BadRequestError. Returns a copy. */
export function validateRecord(record: HostRecord): HostRecord {
  if (typeof record !== 'object' || record === null || !(record.ip instanceof IP)) {
    throw new BadRequestError('invalid-host-record', 'a host record needs an IP value', {
      details: { type: typeof record },
    })
  }
  if (!Array.isArray(record.names) || record.names.length === 0) {
    throw new BadRequestError(
      'invalid-host-record',
      `the host record for ${record.ip.toString()} has no names`,
      { details: { ip: record.ip.toString() } },
    )
  }
  return { ip: record.ip, names: record.names.map(validateHostName) }
}

/** Parse one line; comments, blank and broken lines give undefined. */
export function parseLine(line: string): HostRecord | undefined {
  const body = line.split('#', 1)[0]?.trim() ?? ''
  if (body === '') return undefined
  const [addr, ...names] = body.split(/\s+/)
  if (addr === undefined || names.length === 0 || !IP.isValid(addr)) return undefined
  return { ip: IP.parse(addr), names }
}

/** The line for a record: `ip<TAB>name1 name2`. */
export function formatRecord(record: HostRecord): string {
  return `${record.ip.toString()}\t${record.names.join(' ')}`
}

/** Same address and same names in the same order. */
export function sameRecord(a: HostRecord, b: HostRecord): boolean {
  return (
    a.ip.equals(b.ip) &&
    a.names.length === b.names.length &&
    a.names.every((n, i) => n.toLowerCase() === b.names[i]?.toLowerCase())
  )
}

/** The fixed entries every sandbox's hosts file starts with (upstream's defaults). */
export function defaultRecords(options: { ipv6?: boolean } = {}): HostRecord[] {
  const records: HostRecord[] = [{ ip: IP.parse('127.0.0.1'), names: ['localhost'] }]
  if (options.ipv6 ?? true) {
    records.push(
      { ip: IP.parse('::1'), names: ['localhost', 'ip6-localhost', 'ip6-loopback'] },
      { ip: IP.parse('fe00::'), names: ['ip6-localnet'] },
      { ip: IP.parse('ff00::'), names: ['ip6-mcastprefix'] },
      { ip: IP.parse('ff02::1'), names: ['ip6-allnodes'] },
      { ip: IP.parse('ff02::2'), names: ['ip6-allrouters'] },
    )
  }
  return records
}
