/**
 * Upstream libnetwork's `PeerRecord` (drivers/overlay/overlay.proto), the value of every
 * `overlay_peer_table` entry, encoded as gogo/protobuf does: three proto3 strings in field
 * order, empty ones left out, on `@libnetwork/protowire`.
 */
import { ProtoWriter, fields, type ReaderOptions } from '@libnetwork/protowire'
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

const READ: ReaderOptions = {
  what: 'peer record',
  code: (fault) => `overlay.peer-record-${fault}`,
}

const FIELDS = ['endpointIp', 'endpointMac', 'tunnelEndpointIp'] as const

/** The record's protobuf bytes. */
export function encodePeerRecord(r: PeerRecord): Uint8Array {
  const w = new ProtoWriter()
  FIELDS.forEach((name, i) => {
    const s = r[name]
    if (typeof s !== 'string') {
      throw new BadRequestError('overlay.peer-record-field', `${name} must be a string`, {
        details: { field: name },
      })
    }
    w.stringField(i + 1, s)
  })
  return w.finish()
}

/**
 * A record from protobuf bytes. Unknown fields are skipped (as protobuf readers do); a field
 * of a known number with the wrong wire type, truncated input or bad UTF-8 is refused
 * (`overlay.peer-record-<fault>`).
 */
export function decodePeerRecord(buf: Uint8Array): PeerRecord {
  const r: PeerRecord = { endpointIp: '', endpointMac: '', tunnelEndpointIp: '' }
  for (const f of fields(buf, READ)) {
    const name = FIELDS[f.field - 1]
    if (name !== undefined) r[name] = f.string()
  }
  return r
}
