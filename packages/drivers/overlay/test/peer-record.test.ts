// PeerRecord against bytes derived by hand from overlay.proto (fields 1-3, wire type 2:
// keys 0x0a, 0x12, 0x1a, then a one-byte length, then UTF-8). /work/shared/fixtures holds no
// overlay_peer_table sample, so there is no Go-made sample to compare with.
import t from 'tap'
import { BadRequestError } from '@libnetwork/types'
import { decodePeerRecord, encodePeerRecord, type PeerRecord } from '../src/index.js'

const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex')
const rec: PeerRecord = {
  endpointIp: '10.0.0.2/24',
  endpointMac: '02:42:0a:00:00:02',
  tunnelEndpointIp: '192.168.1.1',
}
const bytes =
  '0a0b' + hex('10.0.0.2/24') + '1211' + hex('02:42:0a:00:00:02') + '1a0b' + hex('192.168.1.1')

t.test('encodes as gogo/protobuf does, and back', async (t) => {
  t.equal(Buffer.from(encodePeerRecord(rec)).toString('hex'), bytes)
  t.same(decodePeerRecord(Buffer.from(bytes, 'hex')), rec)
})

t.test('proto3: empty strings are left out; a missing field reads as empty', async (t) => {
  const partial = { ...rec, endpointMac: '' }
  const b = '0a0b' + hex('10.0.0.2/24') + '1a0b' + hex('192.168.1.1')
  t.equal(Buffer.from(encodePeerRecord(partial)).toString('hex'), b)
  t.same(decodePeerRecord(Buffer.from(b, 'hex')), partial)
  t.equal(encodePeerRecord({ endpointIp: '', endpointMac: '', tunnelEndpointIp: '' }).length, 0)
})

t.test(
  'an IPv6 address longer than 127 bytes would need a 2-byte length; a long one works',
  async (t) => {
    const long = { ...rec, endpointIp: 'x'.repeat(200) }
    const b = Buffer.from(encodePeerRecord(long))
    t.equal(b.subarray(0, 3).toString('hex'), '0ac801', '200 = 0xc8 0x01 as a varint')
    t.same(decodePeerRecord(b), long)
  },
)

t.test('unknown fields are skipped; fields in any order', async (t) => {
  const b = '1a0b' + hex('192.168.1.1') + '2005' + '2d01020304' + '0a0b' + hex('10.0.0.2/24')
  t.same(decodePeerRecord(Buffer.from(b, 'hex')), { ...rec, endpointMac: '' })
})

t.test('bad bytes are refused with a typed error', async (t) => {
  for (const [what, b] of [
    ['truncated length', '0a0b3130'],
    ['truncated varint', '0a'],
    ['wrong wire type for a known field', '0805'],
    ['field 0', '0205'],
    ['wire type 3', '0b'],
    ['bad UTF-8', '0a02c328'],
  ] as const)
    t.throws(() => decodePeerRecord(Buffer.from(b, 'hex')), BadRequestError, what)
  t.throws(() => encodePeerRecord({ ...rec, endpointIp: 1 as never }), BadRequestError)
})
