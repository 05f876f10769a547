// The codec against real kernel messages (captured by test/fixtures/capture.ts) and
// against requests iproute2 sends for the same commands (captured with strace).
import { readFileSync } from 'node:fs'
import t from 'tap'
import { BadRequestError, IP, IPNet, InterfaceAddress } from '@libnetwork/types'
import type { MessageWriter } from '../src/index.js'
import {
  decodeAddr,
  decodeError,
  decodeLink,
  decodeNeigh,
  decodeRoute,
  encodeAddr,
  encodeFdb,
  encodeNewLink,
  encodeRoute,
  encodeSetLink,
  parseAttrs,
  parseMessages,
} from '../src/index.js'

const fx = JSON.parse(
  readFileSync(new URL('./fixtures/kernel.json', import.meta.url), 'utf8'),
) as Record<string, string>
const msgs = (name: string) =>
  fx[name]!.split(',').flatMap((h) => parseMessages(Buffer.from(h, 'hex')))
const one = (name: string) => msgs(name)[0]!

t.test('decodes links of every kind from kernel bytes', (t) => {
  const br = decodeLink(one('link-br0'))
  t.match(br, { name: 'br0', kind: 'bridge', mtu: 1500, mac: '02:42:ac:11:00:01', up: true })
  t.match(br.info, { kind: 'bridge', stp: false, forwardDelay: 1500 })
  const veth = decodeLink(one('link-vh0'))
  t.match(veth, {
    name: 'vh0',
    kind: 'veth',
    master: br.index,
    slaveKind: 'bridge',
    mac: '02:42:ac:11:00:02',
  })
  t.equal(typeof veth.parent, 'number')
  const vx = decodeLink(one('link-vx0'))
  t.equal(vx.kind, 'vxlan')
  t.match(vx.info, { kind: 'vxlan', id: 4097, port: 4789, learning: false, proxy: true })
  t.equal(vx.info?.kind === 'vxlan' && vx.info.local?.toString(), '192.0.2.1')
  const mv = decodeLink(one('link-mv0'))
  t.match(mv, { kind: 'macvlan', parent: br.index, info: { kind: 'macvlan', mode: 'private' } })
  const lo = decodeLink(one('link-lo'))
  t.match(lo, { index: 1, name: 'lo', up: true, mtu: 65536 })
  t.equal(lo.kind, undefined)
  t.end()
})

t.test('decodes addresses, routes, neighbours and fdb entries from kernel dumps', (t) => {
  const addrs = msgs('addrs')
    .map(decodeAddr)
    .map((a) => a && String(a.address))
  t.ok(addrs.includes('172.18.0.1/16'))
  t.ok(addrs.includes('fd00:1::1/64'))
  t.ok(addrs.includes('127.0.0.1/8'))
  const routes = msgs('routes4')
    .map(decodeRoute)
    .filter((r) => r?.table === 254)
  const def = routes.find((r) => r?.dst === undefined)
  t.equal(def?.gateway?.toString(), '172.18.0.254')
  t.ok(routes.some((r) => r?.dst?.toString() === '172.18.0.0/16' && r.scope === 253))
  const n = msgs('neigh4')
    .map(decodeNeigh)
    .find((x) => x?.ip?.toString() === '172.18.0.9')
  t.match(n, { family: 4, mac: '02:42:ac:11:00:09', state: 0x80 })
  const f = msgs('fdb')
    .map(decodeNeigh)
    .find((x) => x?.mac === '02:42:ac:11:00:0a')
  t.match(f, { family: 'bridge', state: 0x80 })
  t.equal(f?.ip?.toString(), '192.0.2.2')
  t.end()
})

t.test('decodes error answers, with and without the extended-ack text', (t) => {
  t.same(decodeError(one('error-eexist')), { errno: 17 })
  t.same(decodeError(one('error-unknown-kind')), { errno: 95, message: 'Unknown device type' })
  t.end()
})

/** Attribute tree of a request: nested types listed in `nested` (by path) are expanded. */
function tree(buf: Buffer, start: number, nested: string[], path = ''): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [type, data] of parseAttrs(buf, start)) {
    const p = path ? `${path}.${type}` : String(type)
    out[type] = nested.includes(p) ? tree(data, 0, nested, p) : data.toString('hex')
  }
  return out
}

// nlmsg bodies iproute2 6.1 sent for the same links (strace -e sendmsg -xx), header stripped.
const IPROUTE = {
  dummy: '0000000000000000000000000000000007000300643000001000120009000100' + '64756d6d79000000',
  vlan:
    '00000000000000000000000000000000080005000100000008000300763130001800120008000100766c616e' +
    '0c00020006000100' +
    '0a000000',
  ipvlan:
    '000000000000000000000000000000000800050001000000090003006970763000000000240012000a000100' +
    '6970766c616e00001400020006000100010000000600020001000000',
}

t.test('ipvlan, vlan and dummy requests match what iproute2 sends', (t) => {
  const body = (w: MessageWriter) => w.finish(1).subarray(16)
  // dummy: byte for byte, except that we mark nested attributes NLA_F_NESTED (0x8000).
  const dummy = body(encodeNewLink({ kind: 'dummy', name: 'd0' }))
  t.equal(dummy.toString('hex'), IPROUTE.dummy.replace('10001200', '10001280'))
  const nested = ['18', '18.2']
  const vlan = body(encodeNewLink({ kind: 'vlan', name: 'v10', parent: 1, vlanId: 10 }))
  const vlanTree = tree(vlan, 16, nested)
  // We always send the protocol (802.1Q = 0x8100, big-endian); iproute2 leaves the default out.
  t.same(vlanTree, {
    ...tree(Buffer.from(IPROUTE.vlan, 'hex'), 16, nested),
    18: { 1: '766c616e', 2: { 1: '0a00', 5: '8100' } },
  })
  const ipvlan = body(
    encodeNewLink({ kind: 'ipvlan', name: 'ipv0', parent: 1, mode: 'l3', flag: 'private' }),
  )
  t.same(tree(ipvlan, 16, nested), tree(Buffer.from(IPROUTE.ipvlan, 'hex'), 16, nested))
  const ad = body(
    encodeNewLink({ kind: 'vlan', name: 'v11', parent: 1, vlanId: 11, protocol: '802.1ad' }),
  )
  t.match(tree(ad, 16, nested), { 18: { 2: { 1: '0b00', 5: '88a8' } } })
  t.end()
})

t.test('request encoders: header flags, alignment, nesting', (t) => {
  const w = encodeNewLink({ kind: 'veth', name: 'a', peer: { name: 'b', mtu: 1400 }, up: true })
  const [m] = parseMessages(w.finish(7))
  t.equal(m!.type, 16)
  t.equal(m!.flags, 0x605) // REQUEST | ACK | EXCL | CREATE
  t.equal(m!.seq, 7)
  t.equal(m!.payload.readUInt32LE(8), 1) // IFF_UP in ifi_flags
  t.equal(m!.payload.length % 4, 0)
  const info = parseAttrs(parseAttrs(m!.payload, 16).get(18)!)
  const peer = parseAttrs(info.get(2)!).get(1)!
  t.equal(parseAttrs(peer, 16).get(3)!.toString(), 'b\0')
  t.equal(parseAttrs(peer, 16).get(4)!.readUInt32LE(0), 1400)
  const set = parseMessages(encodeSetLink(5, { up: false, master: 0 }).finish(1))[0]!
  t.equal(set.payload.readInt32LE(4), 5)
  t.equal(set.payload.readUInt32LE(8), 0)
  t.equal(set.payload.readUInt32LE(12), 1) // ifi_change = IFF_UP
  t.equal(parseAttrs(set.payload, 16).get(10)!.readUInt32LE(0), 0)
  const addr = parseMessages(
    encodeAddr('add', 3, InterfaceAddress.parse('10.0.0.2/24')).finish(1),
  )[0]!
  t.equal(parseAttrs(addr.payload, 8).get(4)!.toString('hex'), '0a0000ff') // broadcast
  const r = parseMessages(
    encodeRoute('add', { gateway: IP.parse('10.0.0.1'), oif: 3, onLink: true }).finish(1),
  )[0]!
  t.equal(r.payload.readUInt32LE(8), 4) // RTNH_F_ONLINK
  t.equal(r.payload.readUInt8(6), 0) // universe scope
  const fdb = parseMessages(
    encodeFdb('add', {
      index: 4,
      mac: '02:00:00:00:00:01',
      dst: IP.parse('10.0.0.9'),
      vni: 42,
    }).finish(1),
  )[0]!
  t.equal(fdb.payload.readUInt8(0), 7) // AF_BRIDGE
  t.equal(fdb.payload.readUInt8(10), 2) // NTF_SELF
  t.equal(parseAttrs(fdb.payload, 12).get(7)!.readUInt32LE(0), 42)
  t.end()
})

t.test('parsers stop at truncated or malformed input instead of reading past it', (t) => {
  const full = Buffer.from(fx['link-br0']!, 'hex')
  t.equal(parseMessages(full.subarray(0, 20)).length, 0)
  t.equal(parseMessages(full).length, 1)
  const attrs = Buffer.from('0800030061620000ff00', 'hex') // second attr claims 255 bytes
  t.same([...parseAttrs(attrs).keys()], [3])
  t.end()
})

t.test('bad input is rejected before encoding with BadRequestError', (t) => {
  const bad: [string, () => unknown][] = [
    ['long name', () => encodeNewLink({ kind: 'bridge', name: 'a-very-long-name0' })],
    ['slash', () => encodeNewLink({ kind: 'bridge', name: 'a/b' })],
    ['kind', () => encodeNewLink({ kind: 'wireguard', name: 'w0' } as never)],
    ['mtu', () => encodeNewLink({ kind: 'bridge', name: 'b', mtu: 70000 })],
    ['mac', () => encodeNewLink({ kind: 'bridge', name: 'b', mac: '02:00:00:00:00' })],
    ['vni', () => encodeNewLink({ kind: 'vxlan', name: 'v', vxlan: { id: 1 << 24 } })],
    [
      'vxlan ip',
      () =>
        encodeNewLink({ kind: 'vxlan', name: 'v', vxlan: { id: 1, local: '10.0.0.1' as never } }),
    ],
    ['veth same', () => encodeNewLink({ kind: 'veth', name: 'v', peer: { name: 'v' } })],
    ['veth peer', () => encodeNewLink({ kind: 'veth', name: 'v' } as never)],
    [
      'macvlan mode',
      () => encodeNewLink({ kind: 'macvlan', name: 'm', parent: 1, mode: 'x' as never }),
    ],
    ['vlan id', () => encodeNewLink({ kind: 'vlan', name: 'v', parent: 1, vlanId: 4095 })],
    ['address', () => encodeAddr('add', 1, '10.0.0.1/24' as never)],
    ['route', () => encodeRoute('add', { dst: IPNet.parse('10.0.0.0/8') })],
    [
      'route mix',
      () =>
        encodeRoute('add', {
          dst: IPNet.parse('10.0.0.0/8'),
          gateway: IP.parse('fe80::1'),
          oif: 1,
        }),
    ],
    ['fdb mac', () => encodeFdb('add', { index: 1, mac: 'zz' })],
  ]
  for (const [name, fn] of bad) t.throws(fn, BadRequestError, name)
  t.end()
})
