/**
 * Upstream libnetwork's `PeerRecord` (drivers/overlay/overlay.proto), the value of every
 * `overlay_peer_table` entry, encoded as gogo/protobuf does: three proto3 strings in field
 * order, empty ones left out. Hand-written: three string fields need no schema library.
 */
import { BadRequestError } from '@libnetwork/types'

/** The cluster table the overlay driver publishes its endpoints to (upstream's name). */
export const PEER_TABLE = 'overlay_peer_table'

/** One endpoint of an overlay network, as every host of the network sees it. */
export interface PeerRecord {
  /** field 1: the endpoint's address with prefix, e.g. `10.0.0.2/24` */
  endpointIp: string
  /** field 2: the endpoint's MAC, e.g. `02:42:0a:00:00:02` */
  endpointMac: string
  /** field 3: the address of the host's VXLAN tunnel endpoint (its advertise address) */
  tunnelEndpointIp: string
}

const utf8 = new TextEncoder()
const fromUtf8 = new TextDecoder('utf-8', { fatal: true })

const bad = (reason: string, message: string, details: Record<string, unknown> = {}): never => {
  throw new BadRequestError(`overlay.peer-record-${reason}`, message, { details })
}

function pushVarint(out: number[], n: number): void {
  while (n > 0x7f) {
    out.push((n & 0x7f) | 0x80)
    n >>>= 7
  }
  out.push(n)
}

const FIELDS = ['endpointIp', 'endpointMac', 'tunnelEndpointIp'] as const

/** The record's protobuf bytes. */
export function encodePeerRecord(r: PeerRecord): Uint8Array {
  const out: number[] = []
  FIELDS.forEach((name, i) => {
    const s = r[name]
    if (typeof s !== 'string') bad('field', `${name} must be a string`, { field: name })
    if (s === '') return
    const b = utf8.encode(s)
    pushVarint(out, ((i + 1) << 3) | 2)
    pushVarint(out, b.length)
    for (const x of b) out.push(x)
  })
  return Uint8Array.from(out)
}

/**
 * A record from protobuf bytes. Unknown fields are skipped (as protobuf readers do); a field
 * of a known number with the wrong wire type, truncated input or bad UTF-8 is refused.
 */
export function decodePeerRecord(buf: Uint8Array): PeerRecord {
  const r: PeerRecord = { endpointIp: '', endpointMac: '', tunnelEndpointIp: '' }
  let i = 0
  const varint = (): number => {
    let n = 0
    let mul = 1
    for (let k = 0; k < 8; k++) {
      if (i >= buf.length) bad('truncated', 'truncated varint', { offset: i })
      const b = buf[i++]!
      n += (b & 0x7f) * mul
      if (b < 0x80) return n
      mul *= 0x80
    }
    return bad('varint', 'varint is too long', { offset: i })
  }
  while (i < buf.length) {
    const key = varint()
    const field = Math.floor(key / 8)
    const wire = key % 8
    if (field === 0) bad('field', 'field number 0', { offset: i })
    let len: number
    if (wire === 0) {
      varint()
      len = 0
    } else if (wire === 2) len = varint()
    else if (wire === 1) len = 8
    else if (wire === 5) len = 4
    else return bad('wire-type', `unsupported wire type ${wire}`, { field, wire })
    if (i + len > buf.length) bad('truncated', `field ${field} runs past the end`, { field })
    const name = FIELDS[field - 1]
    if (name !== undefined) {
      if (wire !== 2) bad('wire-type', `field ${field} must be length-delimited`, { field, wire })
      try {
        r[name] = fromUtf8.decode(buf.subarray(i, i + len))
      } catch {
        bad('utf8', `field ${field} is not valid UTF-8`, { field })
      }
    }
    i += len
  }
  return r
}
