// Other hosts' endpoints as names for the embedded DNS: the records a cluster layer (e.g.
// @libnetwork/cluster's EndpointSync) hands the controller, checked before anything changes.
import type { IP } from '@libnetwork/types'
import { InvalidConfigError } from './errors.js'

/** A name another host's endpoint has on a network (same shape as the cluster's NameRecord). */
export interface RemoteNameRecord {
  /** The remote endpoint's id: an update replaces the record of the same id. */
  endpointId: string
  name: string
  aliases: string[]
  ipv4?: IP
  ipv6?: IP
  /** The cluster node the endpoint lives on (informational). */
  node?: string
}

/** A checked record: lower-case names, address literals. */
export interface RemoteEntry {
  endpointId: string
  name: string
  aliases: string[]
  ips: string[]
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/

function dnsName(field: string, v: unknown): string {
  const n = typeof v === 'string' ? v.toLowerCase().replace(/\.$/, '') : ''
  if (n.length === 0 || n.length > 253 || !n.split('.').every((l) => LABEL.test(l))) {
    throw new InvalidConfigError(field, `${JSON.stringify(v)} is not a DNS name`)
  }
  return n
}

function address(field: string, v: unknown, version: 4 | 6): string | undefined {
  if (v === undefined) return undefined
  const ok =
    typeof v === 'object' &&
    v !== null &&
    (v as { version?: unknown }).version === version &&
    typeof (v as { toString?: unknown }).toString === 'function'
  if (!ok) throw new InvalidConfigError(field, `must be an IPv${version} address (IP)`)
  return (v as { toString(): string }).toString()
}

/** Check `records` (a field of setRemoteRecords); throws InvalidConfigError naming the field. */
export function checkRemoteRecords(field: string, records: unknown): RemoteEntry[] {
  if (!Array.isArray(records)) throw new InvalidConfigError(field, 'must be an array')
  return records.map((r: unknown, i) => {
    const f = `${field}[${i}]`
    if (typeof r !== 'object' || r === null) throw new InvalidConfigError(f, 'must be an object')
    const rec = r as Partial<RemoteNameRecord>
    if (typeof rec.endpointId !== 'string' || rec.endpointId === '') {
      throw new InvalidConfigError(`${f}.endpointId`, 'must be a non-empty string')
    }
    const aliases = rec.aliases ?? []
    if (!Array.isArray(aliases)) throw new InvalidConfigError(`${f}.aliases`, 'must be an array')
    const ips = [address(`${f}.ipv4`, rec.ipv4, 4), address(`${f}.ipv6`, rec.ipv6, 6)].filter(
      (x): x is string => x !== undefined,
    )
    return {
      endpointId: rec.endpointId,
      name: dnsName(`${f}.name`, rec.name),
      aliases: aliases.map((a: unknown, j) => dnsName(`${f}.aliases[${j}]`, a)),
      ips,
    }
  })
}
