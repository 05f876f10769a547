// EndpointRecord bytes derived by hand from the protobuf rules (key = field << 3 | wire type;
// strings are wire type 2 with a varint length; proto3 leaves zero values out; repeated strings
// are one field each, in order).
import t from 'tap'
import { BadRequestError } from '@libnetwork/types'
import {
  ENDPOINT_TABLE,
  decodeEndpointRecord,
  encodeEndpointRecord,
  endpointRecord,
} from '../src/index.js'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')
const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex')

t.test('the table name is upstream’s', async (t) => {
  t.equal(ENDPOINT_TABLE, 'endpoint_table')
})

t.test('every field, in field-number order', async (t) => {
  const rec = endpointRecord({
    name: 'web',
    serviceName: 'svc',
    serviceId: 'id1',
    virtualIp: '10.0.0.2',
    endpointIp: '10.0.0.3',
    ingressPorts: [{ name: 'http', protocol: 'udp', targetPort: 80, publishedPort: 8080 }],
    aliases: ['a1'],
    taskAliases: ['t1', 't2'],
    serviceDisabled: true,
  })
  const port =
    '0a04' +
    ascii('http') + // name = 1
    '1001' + // protocol = 2, UDP = 1
    '1850' + // target_port = 3, 80
    '20903f' // published_port = 4, 8080 = 0x1f90 -> 0x90 0x3f
  const want =
    '0a03' +
    ascii('web') +
    '1203' +
    ascii('svc') +
    '1a03' +
    ascii('id1') +
    '2208' +
    ascii('10.0.0.2') +
    '2a08' +
    ascii('10.0.0.3') +
    '320d' +
    port + // ingress_ports = 6, 13 bytes
    '3a02' +
    ascii('a1') +
    '4202' +
    ascii('t1') +
    '4202' +
    ascii('t2') +
    '4801' // service_disabled = 9, true
  t.equal(hex(encodeEndpointRecord(rec)), want)
  t.same(decodeEndpointRecord(Buffer.from(want, 'hex')), rec)
})

t.test('proto3 zero values are left out; TCP (0) too', async (t) => {
  t.equal(hex(encodeEndpointRecord(endpointRecord())), '')
  t.same(decodeEndpointRecord(new Uint8Array()), endpointRecord())
  const rec = endpointRecord({
    name: 'db',
    ingressPorts: [{ name: '', protocol: 'tcp', targetPort: 300, publishedPort: 0 }],
  })
  // PortConfig: only target_port = 3, 300 = 0x12c -> 0xac 0x02
  t.equal(hex(encodeEndpointRecord(rec)), '0a02' + ascii('db') + '3203' + '18ac02')
  t.same(decodeEndpointRecord(encodeEndpointRecord(rec)), rec)
  const sctp = endpointRecord({
    ingressPorts: [{ name: '', protocol: 'sctp', targetPort: 0, publishedPort: 0 }],
  })
  t.equal(hex(encodeEndpointRecord(sctp)), '3202' + '1002')
})

t.test('an empty alias is still a field (repeated strings keep empty elements)', async (t) => {
  const rec = endpointRecord({ aliases: [''], taskAliases: ['x'] })
  t.equal(hex(encodeEndpointRecord(rec)), '3a00' + '4201' + ascii('x'))
  t.same(decodeEndpointRecord(encodeEndpointRecord(rec)), rec)
})

t.test('our IPv6 extension is field 100 (key 0xa2 0x06), after upstream’s fields', async (t) => {
  const rec = endpointRecord({ name: 'a', endpointIp: '10.0.0.9', endpointIpv6: 'fd00::9' })
  t.equal(
    hex(encodeEndpointRecord(rec)),
    '0a01' + ascii('a') + '2a08' + ascii('10.0.0.9') + 'a20607' + ascii('fd00::9'),
  )
  t.same(decodeEndpointRecord(encodeEndpointRecord(rec)), rec)
})

t.test('unknown fields of every wire type are passed over', async (t) => {
  const bytes =
    '0a01' +
    ascii('n') +
    '7807' + // field 15, varint 7
    '8101' +
    '0102030405060708' + // field 16, fixed64
    '8d01' +
    '01020304' + // field 17, fixed32
    '9201' +
    '02' +
    'ffff' + // field 18, 2 bytes
    '2a08' +
    ascii('10.0.0.1')
  const r = decodeEndpointRecord(Buffer.from(bytes, 'hex'))
  t.equal(r.name, 'n')
  t.equal(r.endpointIp, '10.0.0.1')
})

t.test('malformed bytes are a typed bad request', async (t) => {
  const cases: [string, string][] = [
    ['0a05' + ascii('abc'), 'cluster.proto-truncated'], // length past the end
    ['0a', 'cluster.proto-truncated'], // key without length
    ['08', 'cluster.proto-truncated'], // field 1 varint, no value
    ['0801', 'cluster.proto-wire-type'], // name as a varint
    ['4a0101', 'cluster.proto-wire-type'], // service_disabled as bytes
    ['3202' + '1003', 'cluster.proto-enum'], // protocol 3 is not TCP/UDP/SCTP
    ['0b', 'cluster.proto-wire-type'], // wire type 3 (groups)
    ['0a02c328', 'cluster.proto-utf8'], // invalid UTF-8
    ['00', 'cluster.proto-field'], // field 0
    ['08ffffffffffffffffff01', 'cluster.proto-varint'], // 10-byte varint past 2^53
  ]
  for (const [h, code] of cases) {
    let err: unknown
    try {
      decodeEndpointRecord(Buffer.from(h, 'hex'))
    } catch (e) {
      err = e
    }
    t.ok(BadRequestError.isInstance(err), `${h}: a BadRequestError`)
    t.equal((err as BadRequestError).code, code, `${h} -> ${code}`)
  }
})

t.test('bad values are refused when encoding', async (t) => {
  const badPort = endpointRecord({
    ingressPorts: [{ name: '', protocol: 'tcp', targetPort: -1, publishedPort: 0 }],
  })
  t.throws(() => encodeEndpointRecord(badPort), { code: 'cluster.bad-port-config' })
  const badProto = endpointRecord({
    ingressPorts: [{ name: '', protocol: 'icmp' as 'tcp', targetPort: 1, publishedPort: 0 }],
  })
  t.throws(() => encodeEndpointRecord(badProto), { code: 'cluster.bad-port-config' })
})
