import t from 'tap'
import { BadRequestError, IP, IPNet, InterfaceAddress } from '../src/index.js'

t.test('IP parses and prints IPv4 and IPv6', (t) => {
  const a = IP.parse('172.17.0.1')
  t.equal(a.version, 4)
  t.equal(a.value, 0xac110001n)
  t.equal(a.toString(), '172.17.0.1')
  t.equal(a.toV4Number(), 0xac110001)
  t.same([...a.toBytes()], [172, 17, 0, 1])
  t.ok(IP.fromBytes(new Uint8Array([172, 17, 0, 1])).equals(a))
  const b = IP.parse('2001:db8:0:0:0:0:0:1')
  t.equal(b.version, 6)
  t.equal(b.toString(), '2001:db8::1')
  t.ok(IP.fromBytes(b.toBytes()).equals(b))
  t.equal(IP.parse('::').toString(), '::')
  t.ok(IP.parse('::1').isLoopback())
  t.ok(IP.parse('127.0.0.11').isLoopback())
  t.ok(IP.parse('0.0.0.0').isUnspecified())
  t.equal(a.add(1).toString(), '172.17.0.2')
  t.equal(a.compare(a.add(1)), -1)
  t.equal(JSON.stringify({ a }), '{"a":"172.17.0.1"}')
  t.end()
})

t.test('IP rejects malformed text with BadRequestError', (t) => {
  for (const bad of [
    '',
    '1.2.3',
    '1.2.3.4.5',
    '256.1.1.1',
    '01.2.3.4',
    'a.b.c.d',
    '1.2.3.4/24',
    '::g',
    ' 1.2.3.4',
    '1::2::3',
  ]) {
    t.throws(() => IP.parse(bad), BadRequestError, `rejects ${JSON.stringify(bad)}`)
    t.notOk(IP.isValid(bad))
  }
  t.throws(() => IP.parse(42 as unknown as string), BadRequestError)
  t.throws(() => IP.fromBigInt(1n << 32n, 4), BadRequestError)
  t.throws(() => IP.parse('255.255.255.255').add(1), BadRequestError)
  t.throws(() => IP.parse('::1').toV4Number(), BadRequestError)
  t.end()
})

t.test('IPNet parses, measures and compares networks', (t) => {
  const n = IPNet.parse('172.17.0.0/16')
  t.equal(n.toString(), '172.17.0.0/16')
  t.equal(n.size, 65536n)
  t.equal(n.last.toString(), '172.17.255.255')
  t.equal(n.maskIP.toString(), '255.255.0.0')
  t.ok(n.contains(IP.parse('172.17.3.4')))
  t.notOk(n.contains(IP.parse('172.18.0.1')))
  t.notOk(n.contains(IP.parse('::1')))
  t.equal(n.at(2).toString(), '172.17.0.2')
  t.equal(n.offsetOf(IP.parse('172.17.1.0')), 256n)
  t.throws(() => n.at(65536), BadRequestError)
  t.throws(() => n.offsetOf(IP.parse('10.0.0.1')), BadRequestError)
  t.ok(n.overlaps(IPNet.parse('172.17.5.0/24')))
  t.ok(IPNet.parse('172.16.0.0/12').overlaps(n))
  t.notOk(n.overlaps(IPNet.parse('172.18.0.0/16')))
  t.ok(n.containsNet(IPNet.parse('172.17.128.0/17')))
  t.notOk(IPNet.parse('172.17.128.0/17').containsNet(n))
  t.same([...IPNet.parse('192.168.0.0/22').subnets(24)].map(String), [
    '192.168.0.0/24',
    '192.168.1.0/24',
    '192.168.2.0/24',
    '192.168.3.0/24',
  ])
  const v6 = IPNet.parse('fd00:1::/64')
  t.equal(v6.size, 1n << 64n)
  t.equal(v6.at(5).toString(), 'fd00:1::5')
  t.equal(IPNet.parse('10.1.2.3/8', { strict: false }).toString(), '10.0.0.0/8')
  t.equal(IPNet.parse('0.0.0.0/0').size, 1n << 32n)
  t.end()
})

t.test('IPNet rejects malformed CIDRs', (t) => {
  for (const bad of [
    '10.0.0.0',
    '10.0.0.0/33',
    '10.0.0.0/-1',
    '10.0.0.0/ 8',
    '10.0.0.1/8',
    'x/8',
    '::/129',
    '10.0.0.0/08',
  ]) {
    t.throws(() => IPNet.parse(bad), BadRequestError, `rejects ${JSON.stringify(bad)}`)
  }
  t.throws(() => IPNet.of(IP.parse('10.0.0.0'), 40), BadRequestError)
  t.throws(() => [...IPNet.parse('10.0.0.0/24').subnets(16)], BadRequestError)
  t.end()
})

t.test('InterfaceAddress keeps host bits and the prefix', (t) => {
  const a = InterfaceAddress.parse('172.17.0.2/16')
  t.equal(a.ip.toString(), '172.17.0.2')
  t.equal(a.prefix, 16)
  t.equal(a.network.toString(), '172.17.0.0/16')
  t.equal(a.toString(), '172.17.0.2/16')
  t.ok(a.equals(InterfaceAddress.of(IP.parse('172.17.0.2'), 16)))
  t.equal(InterfaceAddress.parse('fd00::5/64').version, 6)
  t.end()
})
