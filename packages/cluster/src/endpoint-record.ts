/**
 * Upstream libnetwork's `EndpointRecord` (agent.proto), the value of every `endpoint_table`
 * entry, encoded byte for byte as gogo/protobuf does: fields in number order, proto3 zero values
 * left out, repeated strings one field each.
 */
import { BadRequestError } from '@libnetwork/types'
import { ProtoWriter, fields, type ReaderOptions } from '@libnetwork/protowire'

/** The NetworkDB table the agent writes endpoint records to (upstream's name). */
export const ENDPOINT_TABLE = 'endpoint_table'

/** `PortConfig.Protocol` (agent.proto): TCP 0, UDP 1, SCTP 2. */
export type PortProtocol = 'tcp' | 'udp' | 'sctp'
const PROTOCOLS: readonly PortProtocol[] = ['tcp', 'udp', 'sctp']

/** `PortConfig`: a port a service publishes on the ingress network. */
export interface PortConfig {
  /** field 1 */
  name: string
  /** field 2 (enum) */
  protocol: PortProtocol
  /** field 3 */
  targetPort: number
  /** field 4 */
  publishedPort: number
}

/** `EndpointRecord`: one endpoint, as every host of the network sees it. */
export interface EndpointRecord {
  /** field 1: the container's (endpoint's) name */
  name: string
  /** field 2 */
  serviceName: string
  /** field 3 */
  serviceId: string
  /** field 4: text form of the service's virtual IP (upstream writes `<nil>` when there is none) */
  virtualIp: string
  /** field 5: text form of the endpoint's IPv4 address */
  endpointIp: string
  /** field 6 */
  ingressPorts: PortConfig[]
  /** field 7: the service's aliases */
  aliases: string[]
  /** field 8: the endpoint's own aliases (upstream's `myAliases`) */
  taskAliases: string[]
  /** field 9 */
  serviceDisabled: boolean
  /**
   * Field 100, our extension (not in upstream's schema): text form of the endpoint's IPv6
   * address. Upstream's record has no IPv6 field; Go nodes skip an unknown field, so this adds
   * AAAA answers between our nodes and changes nothing for theirs. Empty: left out.
   */
  endpointIpv6: string
}

export const ENDPOINT_IPV6_FIELD = 100

/** A record with every field at its zero value, then `fields` over it. */
export function endpointRecord(fields: Partial<EndpointRecord> = {}): EndpointRecord {
  return {
    name: '',
    serviceName: '',
    serviceId: '',
    virtualIp: '',
    endpointIp: '',
    ingressPorts: [],
    aliases: [],
    taskAliases: [],
    serviceDisabled: false,
    endpointIpv6: '',
    ...fields,
  }
}

function checkPort(field: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) {
    throw new BadRequestError('cluster.bad-port-config', `${field} must be a uint32`, {
      details: { field, value: n },
    })
  }
}

function encodePort(p: PortConfig): Uint8Array {
  const proto = PROTOCOLS.indexOf(p.protocol)
  if (proto < 0) {
    throw new BadRequestError('cluster.bad-port-config', `unknown protocol ${String(p.protocol)}`, {
      details: { protocol: p.protocol },
    })
  }
  checkPort('targetPort', p.targetPort)
  checkPort('publishedPort', p.publishedPort)
  return new ProtoWriter()
    .stringField(1, p.name)
    .uintField(2, proto)
    .uintField(3, p.targetPort)
    .uintField(4, p.publishedPort)
    .finish()
}

/** The record's protobuf bytes, as upstream's generated marshaller writes them. */
export function encodeEndpointRecord(r: EndpointRecord): Uint8Array {
  const w = new ProtoWriter()
    .stringField(1, r.name)
    .stringField(2, r.serviceName)
    .stringField(3, r.serviceId)
    .stringField(4, r.virtualIp)
    .stringField(5, r.endpointIp)
  for (const p of r.ingressPorts) w.messageField(6, encodePort(p))
  w.repeatedString(7, r.aliases)
    .repeatedString(8, r.taskAliases)
    .boolField(9, r.serviceDisabled)
    .stringField(ENDPOINT_IPV6_FIELD, r.endpointIpv6)
  return w.finish()
}

/** Malformed bytes: `cluster.proto-<fault>` codes (truncated, varint, field, wire-type, utf8). */
const READ: ReaderOptions = { what: 'endpoint record', code: (fault) => `cluster.proto-${fault}` }

function decodePort(buf: Uint8Array): PortConfig {
  const p: PortConfig = { name: '', protocol: 'tcp', targetPort: 0, publishedPort: 0 }
  for (const f of fields(buf, { ...READ, what: 'port config' })) {
    if (f.field === 1) p.name = f.string()
    else if (f.field === 2) {
      const n = f.uint()
      const proto = PROTOCOLS[n]
      if (proto === undefined) {
        throw new BadRequestError('cluster.proto-enum', `unknown PortConfig protocol ${n}`, {
          details: { protocol: n },
        })
      }
      p.protocol = proto
    } else if (f.field === 3) p.targetPort = f.uint()
    else if (f.field === 4) p.publishedPort = f.uint()
  }
  return p
}

/**
 * Decode an `EndpointRecord`. Unknown fields are skipped (as protobuf readers do); malformed
 * bytes throw `BadRequestError` with a `cluster.proto-*` code.
 */
export function decodeEndpointRecord(buf: Uint8Array): EndpointRecord {
  const r = endpointRecord()
  for (const f of fields(buf, READ)) {
    switch (f.field) {
      case 1:
        r.name = f.string()
        break
      case 2:
        r.serviceName = f.string()
        break
      case 3:
        r.serviceId = f.string()
        break
      case 4:
        r.virtualIp = f.string()
        break
      case 5:
        r.endpointIp = f.string()
        break
      case 6:
        r.ingressPorts.push(decodePort(f.bytes()))
        break
      case 7:
        r.aliases.push(f.string())
        break
      case 8:
        r.taskAliases.push(f.string())
        break
      case 9:
        r.serviceDisabled = f.bool()
        break
      case ENDPOINT_IPV6_FIELD:
        r.endpointIpv6 = f.string()
        break
      default:
        break
    }
  }
  return r
}
