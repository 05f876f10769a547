import t from 'tap'
import fc from 'fast-check'
import dnsPacket from 'dns-packet'
import { createSocket } from 'node:dgram'
import { IP } from '@libnetwork/types'
import { RecordTable, Resolver } from '../src/index.js'
import { encodeQuery, rcodeOf, udp, udpRaw } from './helpers.js'

const table = new RecordTable()
table.addHost('net', 'web', [IP.parse('172.30.0.2')])
const resolver = new Resolver({ source: table, address: '127.0.0.1', port: 0 })
const { port } = await resolver.start()
t.teardown(() => resolver.stop())

const header = (id: number, flags: number, qd: number, an = 0, ns = 0, ar = 0) => {
  const b = Buffer.alloc(12)
  b.writeUInt16BE(id, 0)
  b.writeUInt16BE(flags, 2)
  b.writeUInt16BE(qd, 4)
  b.writeUInt16BE(an, 6)
  b.writeUInt16BE(ns, 8)
  b.writeUInt16BE(ar, 10)
  return b
}
const tail = (type: number, cls = 1) => Buffer.from([type >> 8, type & 255, cls >> 8, cls & 255])
const name = (...labels: string[]) =>
  Buffer.concat([
    ...labels.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])),
    Buffer.from([0]),
  ])

t.test('dropped: short headers and responses', async (t) => {
  t.equal(await udpRaw(port, Buffer.alloc(0), 150), undefined)
  t.equal(await udpRaw(port, Buffer.from([1, 2, 3, 4, 5]), 150), undefined)
  const response = Buffer.concat([header(1, 0x8000, 1), name('web'), tail(1)])
  t.equal(await udpRaw(port, response, 150), undefined)
})

t.test('FORMERR: bad counts, pointers, long labels and names, cut-off questions', async (t) => {
  const cases: [string, Buffer][] = [
    ['no question', header(2, 0x0100, 0)],
    ['two questions', Buffer.concat([header(3, 0, 2), name('web'), tail(1), name('web'), tail(1)])],
    ['answers in a query', Buffer.concat([header(4, 0, 1, 1), name('web'), tail(1)])],
    ['compression loop', Buffer.concat([header(5, 0, 1), Buffer.from([0xc0, 12]), tail(1)])],
    [
      'label of 64',
      Buffer.concat([
        header(6, 0, 1),
        Buffer.from([64]),
        Buffer.alloc(64, 97),
        Buffer.from([0]),
        tail(1),
      ]),
    ],
    [
      'huge label count',
      Buffer.concat([
        header(7, 0, 1),
        Buffer.alloc(300, 1).map((v, i) => (i % 2 ? 97 : v)),
        Buffer.from([0]),
        tail(1),
      ]),
    ],
    ['name runs off the end', Buffer.concat([header(8, 0, 1), Buffer.from([10, 97, 98])])],
    ['no type/class', Buffer.concat([header(9, 0, 1), name('web'), Buffer.from([0])])],
    [
      'additional that is not OPT',
      Buffer.concat([
        header(10, 0, 1, 0, 0, 1),
        name('web'),
        tail(1),
        name('x'),
        tail(16),
        Buffer.alloc(6),
      ]),
    ],
    [
      'OPT cut short',
      Buffer.concat([header(11, 0, 1, 0, 0, 1), name('web'), tail(1), Buffer.from([0, 0, 41, 16])]),
    ],
  ]
  for (const [what, msg] of cases) {
    const reply = await udpRaw(port, msg)
    t.ok(reply, `${what}: answered`)
    t.equal(rcodeOf(reply!), 1, `${what}: FORMERR`)
    t.equal(reply!.readUInt16BE(0), msg.readUInt16BE(0), `${what}: same id`)
  }
})

t.test('NOTIMP: other opcodes, zone transfers, other classes', async (t) => {
  const cases: [string, Buffer][] = [
    ['NOTIFY opcode', Buffer.concat([header(20, 4 << 11, 1), name('web'), tail(6)])],
    ['UPDATE opcode', Buffer.concat([header(21, 5 << 11, 1), name('web'), tail(6)])],
    ['AXFR', Buffer.concat([header(22, 0, 1), name('web'), tail(252)])],
    ['IXFR', Buffer.concat([header(23, 0, 1), name('web'), tail(251)])],
    ['type 0', Buffer.concat([header(24, 0, 1), name('web'), tail(0)])],
    ['class CHAOS', Buffer.concat([header(25, 0, 1), name('version', 'bind'), tail(16, 3)])],
  ]
  for (const [what, msg] of cases) {
    const reply = await udpRaw(port, msg)
    t.equal(rcodeOf(reply!), 4, `${what}: NOTIMP`)
  }
})

t.test('still serving after all that', async (t) => {
  const r = await udp(port, { name: 'web' })
  t.equal(r.answers[0]?.data, '172.30.0.2')
})

const PROBE_ID = 0xbeef

/**
 * Send a burst of packets from one socket, then a valid probe; the server answers in order, so
 * once the probe's answer is in, every reply to the burst is too.
 */
async function burst(packets: Uint8Array[]): Promise<Buffer[]> {
  const s = createSocket('udp4')
  const got: Buffer[] = []
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()))
  const done = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 3000)
    s.on('message', (m) => {
      if (m.length >= 12 && m.readUInt16BE(0) === PROBE_ID && m.readUInt16BE(6) === 1) {
        clearTimeout(timer)
        resolve()
      } else got.push(m)
    })
  })
  for (const p of packets) s.send(p, port, '127.0.0.1')
  s.send(encodeQuery({ name: 'web', id: PROBE_ID }), port, '127.0.0.1')
  await done
  s.close()
  return got
}

function checkReplies(replies: Buffer[]): boolean {
  for (const r of replies) {
    if (r.length < 12 || (r.readUInt16BE(2) & 0x8000) === 0) return false
    dnsPacket.decode(r) // every reply must itself be a well-formed message
  }
  return true
}

t.test(
  'fuzz: random packets never crash the server and get only well-formed replies',
  async (t) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 600 }), { minLength: 1, maxLength: 20 }),
        async (packets) => checkReplies(await burst(packets)),
      ),
      { seed: 42, numRuns: 150 },
    )
    t.equal((await udp(port, { name: 'web' })).answers[0]?.data, '172.30.0.2')
  },
)

t.test('fuzz: mutated valid queries', async (t) => {
  const seeds = [
    encodeQuery({ name: 'web' }),
    encodeQuery({ name: 'WEB.net', type: 'AAAA', edns: 1232 }),
    encodeQuery({ name: '2.0.30.172.in-addr.arpa', type: 'PTR' }),
    encodeQuery({ name: '_x._tcp.web', type: 'SRV' }),
  ]
  const mutation = fc.record({
    seed: fc.nat(seeds.length - 1),
    edits: fc.array(fc.tuple(fc.nat(80), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }),
    cut: fc.option(fc.nat(80)),
  })
  await fc.assert(
    fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 30 }), async (ms) => {
      const packets = ms.map((m) => {
        const b = Buffer.from(seeds[m.seed]!)
        for (const [at, v] of m.edits) if (at < b.length) b[at] = v
        return m.cut === null ? b : b.subarray(0, m.cut)
      })
      return checkReplies(await burst(packets))
    }),
    { seed: 7, numRuns: 150 },
  )
  t.equal((await udp(port, { name: 'web' })).answers[0]?.data, '172.30.0.2')
  t.ok(resolver.stats.formErr > 0 && resolver.stats.dropped > 0, 'fuzz reached the error paths')
})
