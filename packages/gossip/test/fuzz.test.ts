import t from 'tap'
import fc from 'fast-check'
import { createSocket } from 'node:dgram'
import { connect } from 'node:net'
import { load, hex } from './fixtures.js'
import { startNode, waitFor } from './helpers.js'
import {
  WireError,
  Keyring,
  decodePacket,
  encodePacket,
  decodeStream,
  MsgpackWriter,
  writePushPullHeader,
  writeUserMsgHeader,
  type Gossip,
} from '../src/index.js'

const samples = [
  ...load('send_paths_default.json'),
  ...load('send_paths_nocompress.json'),
  ...load('messages.json'),
  ...load('framing.json'),
].map((f) => ({ bytes: hex(f.hex), udp: f.transport !== 'tcp' }))
const ring = new Keyring([Uint8Array.from({ length: 16 }, (_, i) => i)])

/** A random sample with random byte flips, insertions or truncation. */
const mutated = fc
  .record({
    i: fc.nat(samples.length - 1),
    flips: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.option(fc.nat()),
  })
  .map(({ i, flips, cut }) => {
    const b = Uint8Array.from(samples[i]!.bytes)
    for (const [pos, v] of flips) b[pos % b.length] = v
    return cut === null ? b : b.subarray(0, cut % (b.length + 1))
  })

function onlyWireErrors(fn: () => void): boolean {
  try {
    fn()
    return true
  } catch (err) {
    if (err instanceof WireError) return true
    throw err
  }
}

t.test('decodePacket: random and mutated datagrams give a result or a WireError', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (b) =>
      onlyWireErrors(() => decodePacket(b)),
    ),
    { numRuns: 3000, seed: 42 },
  )
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (b) =>
      onlyWireErrors(() => decodePacket(b, { keyring: ring })),
    ),
    { numRuns: 500, seed: 43 },
  )
  t.pass('no crash, no untyped error')
  t.end()
})

t.test('decodeStream: random and mutated streams give a result or a WireError', (t) => {
  fc.assert(
    fc.property(fc.oneof(fc.uint8Array({ maxLength: 300 }), mutated), (b) =>
      onlyWireErrors(() => decodeStream(b, { maxSize: 4096 })),
    ),
    { numRuns: 3000, seed: 44 },
  )
  t.pass('no crash, no untyped error')
  t.end()
})

t.test('a LZW bomb is cut at the decompression limit', (t) => {
  const big = new MsgpackWriter().byte(8).bytes(new Uint8Array(2_000_000)).finish()
  const w = new MsgpackWriter().byte(8)
  writeUserMsgHeader(w, 2_000_000)
  t.throws(() => decodeStream(w.finish(), { maxSize: 1_000_000 }), { code: 'gossip-wire-size' })
  t.throws(() => decodePacket(Uint8Array.of(9, ...compressedOf(big))), {
    code: 'gossip-wire-lzw-size',
  })
  t.end()
})

function compressedOf(b: Uint8Array): Uint8Array {
  return encodeCompress(b).subarray(1)
}
import { compressMessage as encodeCompress } from '../src/index.js'

function udp(g: Gossip, bytes: Uint8Array): Promise<void> {
  const s = createSocket('udp4')
  return new Promise((r) =>
    s.send(bytes, g.address.port, '127.0.0.1', () => {
      s.close()
      r()
    }),
  )
}

function tcp(g: Gossip, bytes: Uint8Array): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    const c = connect(g.address.port, '127.0.0.1', () => c.write(bytes))
    c.on('data', (d) => chunks.push(d))
    c.on('error', () => undefined)
    c.on('close', () => resolve(Buffer.concat(chunks)))
  })
}

t.test('a live node survives garbage datagrams and counts typed decode errors', async (t) => {
  const a = await startNode(t)
  const b = await startNode(t)
  const garbage = fc.sample(fc.oneof(fc.uint8Array({ minLength: 1, maxLength: 200 }), mutated), {
    numRuns: 400,
    seed: 7,
  })
  for (const g of garbage) await udp(a.g, g)
  await waitFor('errors counted', () => a.g.metrics.totalDecodeErrors > 50)
  t.ok(Object.keys(a.g.metrics.decodeErrors).length > 2, 'several distinct reasons')
  await b.g.join([a.g.address])
  await waitFor('still works', () => a.g.numMembers() === 2 && b.g.numMembers() === 2)
})

t.test('oversized TCP frames are refused without buffering them', async (t) => {
  const a = await startNode(t, { maxStreamSize: 64 * 1024 })
  const w = new MsgpackWriter().byte(6)
  writePushPullHeader(w, { join: false, nodes: 0, userStateLen: 2 ** 31 })
  const reply = await tcp(a.g, w.finish())
  t.equal(decodeStream(new Uint8Array(reply)).message.type, 'err', 'answered with an err message')
  const u = new MsgpackWriter().byte(8)
  writeUserMsgHeader(u, 10_000_000)
  await tcp(a.g, u.finish())
  // a node state whose Addr claims 4 GiB: the node stops reading once the limit is passed
  const p = new MsgpackWriter().byte(6)
  writePushPullHeader(p, { join: false, nodes: 1, userStateLen: 0 })
  p.mapHeader(1)
    .raw('Addr')
    .byte(0xdb)
    .bytes(Uint8Array.of(0xff, 0xff, 0xff, 0xff))
  p.bytes(new Uint8Array(300 * 1024).fill(0x41))
  await tcp(a.g, p.finish())
  await waitFor('size errors counted', () => (a.g.metrics.decodeErrors.size ?? 0) >= 3)
  t.ok(a.g.metrics.totalDecodeErrors >= 3)
  t.equal(a.g.numMembers(), 1)
})

t.test('idle inbound streams beyond the limit are refused at once', async (t) => {
  const a = await startNode(t, { maxConcurrentPushPull: 3, tcpTimeout: 3000 })
  const socks = Array.from({ length: 5 }, () => connect(a.g.address.port, '127.0.0.1'))
  t.teardown(() => socks.forEach((s) => s.destroy()))
  const closed = socks.map(
    (s) =>
      new Promise<boolean>((r) => {
        s.on('error', () => undefined)
        s.on('close', () => r(true))
        setTimeout(() => r(false), 1000)
      }),
  )
  const results = await Promise.all(closed)
  t.equal(results.filter(Boolean).length, 2, 'two of five closed by the node')
  t.equal(a.g.metrics.counters.streamsRejected, 2)
  // once the idle ones are gone, a real exchange works again
  socks.forEach((s) => s.destroy())
  const b = await startNode(t)
  await new Promise((r) => setTimeout(r, 100))
  await b.g.join([a.g.address])
  t.equal(a.g.numMembers(), 2)
})

t.test('skipping hopeless compression never changes the bytes sent', (t) => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 80 }), (m) => {
      const c = compressedOf(m).length + 1
      const expected = c < m.length ? 'compressed' : 'plain'
      const got =
        encodePacket(m, { compress: true })[0] === 9 && m[0] !== 9 ? 'compressed' : 'plain'
      return m.length === 0 || expected === got
    }),
    { numRuns: 2000, seed: 5 },
  )
  t.pass()
  t.end()
})
