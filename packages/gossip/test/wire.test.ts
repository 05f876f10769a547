import t, { type Test } from 'tap'
import { load, hex, toHex } from './fixtures.js'
import {
  decodeMessage,
  encodeMessage,
  decodePacket,
  encodePacket,
  makeCompound,
  decodeStream,
  encodeStream,
  Keyring,
  MsgpackReader,
  MsgpackWriter,
  readPushPullHeader,
  readPushNodeState,
  writePushNodeState,
  writePushPullHeader,
  readUserMsgHeader,
  writeUserMsgHeader,
  lzwCompress,
  lzwDecompress,
  compressMessage,
} from '../src/index.js'

// Fixture `fields` → our message shape, checked field by field.
function expectFields(t: Test, m: object, fields: Record<string, unknown>) {
  const map: Record<string, string> = {
    Node: 'node',
    SeqNo: 'seqNo',
    Nack: 'nack',
    Port: 'port',
    Target: 'target',
    Payload: 'payload',
    From: 'from',
    Incarnation: 'incarnation',
    Addr: 'addr',
    Meta: 'meta',
    Vsn: 'vsn',
    Error: 'error',
    Name: 'name',
    State: 'state',
  }
  for (const [k, v] of Object.entries(fields)) {
    const ours = (m as Record<string, unknown>)[map[k]!]
    const got = ours instanceof Uint8Array ? toHex(ours) : ours
    t.same(got, v, `field ${k}`)
  }
}

t.test(
  'messages.json: every single message decodes to its fields and re-encodes byte-exact',
  (t) => {
    const fx = load('messages.json')
    t.ok(fx.length >= 13)
    for (const f of fx) {
      const m = decodeMessage(hex(f.hex))
      if (m.type === 'user') t.equal(toHex(m.payload), f.hex.slice(2), f.name)
      else {
        t.equal(m.type, f.decoded.type, f.name)
        expectFields(t, m, f.decoded.fields)
      }
      t.equal(toHex(encodeMessage(m)), f.hex, `${f.name} re-encodes`)
    }
    t.end()
  },
)

t.test('stream_headers.json: push/pull header, node states, user header', (t) => {
  for (const f of load('stream_headers.json')) {
    const r = new MsgpackReader(hex(f.hex))
    const w = new MsgpackWriter()
    if (f.name === 'hdr_push_pull') {
      const h = readPushPullHeader(r)
      t.same(h, { join: true, nodes: 2, userStateLen: 300 })
      writePushPullHeader(w, h)
    } else if (f.name === 'hdr_user_msg') {
      const n = readUserMsgHeader(r)
      t.equal(n, f.decoded.fields.UserMsgLen)
      writeUserMsgHeader(w, n)
    } else {
      const s = readPushNodeState(r)
      expectFields(t, s, f.decoded.fields)
      writePushNodeState(w, s)
    }
    t.equal(r.offset, f.length)
    t.equal(toHex(w.finish()), f.hex, f.name)
  }
  t.end()
})

t.test('framing.json: compound and LZW compression', (t) => {
  for (const f of load('framing.json')) {
    const p = decodePacket(hex(f.hex))
    t.equal(p.errors.length, 0)
    if (f.name === 'compound_ping_suspect') {
      t.same(
        p.messages.map((m) => m.type),
        ['ping', 'suspect'],
      )
      t.equal(toHex(makeCompound(p.messages.map(encodeMessage))), f.hex)
    } else {
      t.equal(toHex(lzwDecompress(hex(f.decoded.fields.Buf))), f.plaintext_hex, f.name)
      t.equal(toHex(compressMessage(hex(f.plaintext_hex!))), f.hex, `${f.name} re-compresses`)
    }
  }
  t.end()
})

t.test('encryption.json: AES-GCM v1 (128/192/256) and v0 PKCS#7', (t) => {
  for (const f of load('encryption.json')) {
    const ring = new Keyring([hex(f.crypto!.key)])
    const p = decodePacket(hex(f.hex), { keyring: ring })
    t.ok(p.encrypted)
    expectFields(t, p.messages[0]!, f.decoded.message.fields)
    const again = ring.encrypt(hex(f.plaintext_hex!), new Uint8Array(0), {
      version: f.crypto!.version as 0 | 1,
      nonce: hex(f.crypto!.nonce),
    })
    t.equal(toHex(again), f.hex, f.name)
  }
  t.end()
})

const sendFiles = [
  ['send_paths_default.json', undefined, true],
  ['send_paths_nocompress.json', undefined, false],
  ['send_paths_aes128.json', '000102030405060708090a0b0c0d0e0f', true],
  [
    'send_paths_aes256.json',
    '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f',
    true,
  ],
] as const

for (const [file, key, compress] of sendFiles) {
  t.test(`${file}: whole datagrams and stream directions`, (t) => {
    const keyring = key ? new Keyring([hex(key)]) : undefined
    const nonce = hex('101112131415161718191a1b')
    const fx = load(file)
    t.equal(fx.length, 8)
    for (const f of fx) {
      const bytes = hex(f.hex)
      if (f.transport === 'udp') {
        const p = decodePacket(bytes, { keyring })
        t.equal(p.errors.length, 0, f.name)
        let d = f.decoded.message
        while (d.type === 'compress') d = d.inner
        const want = d.type === 'compound' ? d.parts : [d]
        t.equal(p.messages.length, want.length, `${f.name} parts`)
        want.forEach((w: any, i: number) => {
          const m = p.messages[i]!
          t.equal(m.type, w.type)
          if (m.type === 'user') t.equal(toHex(m.payload), w.payload)
          else expectFields(t, m, w.fields)
        })
        t.equal(p.crc, Boolean(f.decoded.crc), `${f.name} crc`)
        // re-encode: rebuild the message (compound if it was) and apply the same layers
        const body =
          d.type === 'compound'
            ? makeCompound(p.messages.map(encodeMessage))
            : encodeMessage(p.messages[0]!)
        const again = encodePacket(body, { compress, crc: p.crc, keyring, nonce })
        t.equal(toHex(again), f.hex, `${f.name} re-encodes`)
      } else {
        const s = decodeStream(bytes, { keyring })
        t.equal(s.consumed, bytes.length, `${f.name} consumes all`)
        const d = f.decoded.message
        t.equal(s.message.type, d.type)
        if (s.message.type === 'pushPull') {
          t.same(
            {
              join: s.message.join,
              nodes: s.message.states.length,
              len: s.message.userState.length,
            },
            { join: d.header.Join, nodes: d.header.Nodes, len: d.header.UserStateLen },
          )
          s.message.states.forEach((st, i) => expectFields(t, st, d.states[i].fields))
          t.equal(toHex(s.message.userState), d.userState)
        } else if (s.message.type === 'user') {
          t.equal(toHex(s.message.payload), d.payload)
        } else expectFields(t, s.message, d.fields)
        t.equal(
          toHex(encodeStream(s.message, { compress, keyring, nonce })),
          f.hex,
          `${f.name} re-encodes`,
        )
      }
    }
    t.end()
  })
}

t.test('LZW round-trips long and repetitive inputs (table resets past 4095 codes)', (t) => {
  let seed = 7
  const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff
  for (const size of [0, 1, 2, 300, 5000, 70000]) {
    const a = Uint8Array.from({ length: size }, (_, i) => (i % 7 === 0 ? rand() : i & 0x0f))
    t.same(lzwDecompress(lzwCompress(a)), a, `size ${size}`)
  }
  t.end()
})

t.test('label header (newer memberlist): written when set, checked on receive', (t) => {
  const ping = encodeMessage({ type: 'ping', seqNo: 1, node: 'n' })
  const labelled = encodePacket(ping, { label: 'cluster-a' })
  t.equal(labelled[0], 244)
  t.equal(labelled[1], 9)
  t.equal(decodePacket(labelled, { label: 'cluster-a' }).messages[0]!.type, 'ping')
  t.throws(() => decodePacket(labelled), { code: 'gossip-wire-label' })
  t.throws(() => decodePacket(ping, { label: 'cluster-a' }), { code: 'gossip-wire-label' })
  const ring = new Keyring([hex('000102030405060708090a0b0c0d0e0f')])
  const enc = encodePacket(ping, { label: 'x', keyring: ring })
  t.equal(decodePacket(enc, { label: 'x', keyring: ring }).messages.length, 1)
  const s = encodeStream({ type: 'ping', seqNo: 2, node: 'n' }, { label: 'x', keyring: ring })
  t.equal(decodeStream(s, { label: 'x', keyring: ring }).message.type, 'ping')
  t.throws(() => decodeStream(s, { label: 'y', keyring: ring }), { code: 'gossip-wire-label' })
  t.end()
})

t.test('encoders refuse what the wire cannot carry', (t) => {
  t.throws(() => makeCompound(Array.from({ length: 256 }, () => new Uint8Array(1))), {
    code: 'gossip-wire-compound',
  })
  t.throws(() => new MsgpackWriter().uint(-1), { code: 'gossip-wire-msgpack-int' })
  t.throws(() => decodeMessage(Uint8Array.of(7)), { code: 'gossip-wire-type' })
  t.throws(() => decodeMessage(new Uint8Array(0)), { code: 'gossip-wire-empty' })
  t.throws(() => decodePacket(Uint8Array.of(12, 0, 0, 0, 0, 0)), { code: 'gossip-wire-crc' })
  t.end()
})
