import t, { type Test } from 'tap'
import { IP } from '@libnetwork/types'
import { RecordTable, Resolver } from '../src/index.js'
import { FLAG } from './flags.js'
import {
  decode,
  encodeQuery,
  flagsOf,
  type Reply,
  rcodeOf,
  tcp,
  tcpRaw,
  udp,
  udpRaw,
} from './helpers.js'

const ip = (s: string) => IP.parse(s)

async function setup(t: Test) {
  const table = new RecordTable()
  table.addHost('frontend', 'web', [ip('172.18.0.2'), ip('fd00:18::2')])
  table.addHost('frontend', 'web-alias', [ip('172.18.0.2')])
  table.addHost('backend', 'db', [ip('172.19.0.3')])
  table.addHost('backend', 'v6only', [ip('fd00:19::9')])
  table.addService('backend', 'api', [ip('172.19.0.10'), ip('172.19.0.11'), ip('172.19.0.12')])
  table.addSrv('backend', '_pg._tcp.db', [{ target: 'db', port: 5432, priority: 10, weight: 5 }])
  const resolver = new Resolver({ source: table, address: '127.0.0.1', port: 0 })
  const { port } = await resolver.start()
  t.teardown(() => resolver.stop())
  return { table, resolver, port }
}

t.test('A and AAAA for owned names: authoritative, TTL 600, case-insensitive', async (t) => {
  const { port } = await setup(t)
  const a = await udp(port, { name: 'web' })
  t.same(
    a.answers?.map((r) => [r.type, r.name, r.ttl, r.data]),
    [['A', 'web', 600, '172.18.0.2']],
  )
  t.equal(a.rcode, 'NOERROR')
  t.ok(flagsOf(a.raw) & FLAG.AA, 'authoritative')
  t.ok(flagsOf(a.raw) & FLAG.RD, 'RD copied')
  t.ok(flagsOf(a.raw) & FLAG.RA, 'RA set')
  t.equal(a.id, 0x1234)
  const aaaa = await udp(port, { name: 'WeB.FrontEnd', type: 'AAAA', id: 7 })
  t.equal(aaaa.id, 7)
  t.same(
    aaaa.answers?.map((r) => r.data),
    ['fd00:18::2'],
  )
  t.equal(aaaa.questions?.[0]?.name, 'WeB.FrontEnd', 'question echoed with its case (0x20)')
  const db = await udp(port, { name: 'db.' })
  t.same(
    db.answers?.map((r) => r.data),
    ['172.19.0.3'],
  )
})

t.test('NODATA vs NXDOMAIN', async (t) => {
  const { port } = await setup(t)
  const nodata = await udp(port, { name: 'v6only', type: 'A' })
  t.equal(nodata.rcode, 'NOERROR')
  t.same(nodata.answers, [])
  t.ok(flagsOf(nodata.raw) & FLAG.AA)
  const mx = await udp(port, { name: 'web', type: 'MX' })
  t.equal(mx.rcode, 'NOERROR', 'other types of an owned name: NODATA')
  t.same(mx.answers, [])
  const nx = await udp(port, { name: 'ghost.backend' })
  t.equal(nx.rcode, 'NXDOMAIN', 'missing name under a network we own')
  t.ok(flagsOf(nx.raw) & FLAG.AA)
  const nxTxt = await udp(port, { name: 'ghost.backend', type: 'TXT' })
  t.equal(nxTxt.rcode, 'NXDOMAIN')
  const srvAsA = await udp(port, { name: '_pg._tcp.db', type: 'A' })
  t.equal(srvAsA.rcode, 'NOERROR', 'an SRV-only name exists: NODATA for A')
  t.same(srvAsA.answers, [])
})

t.test('PTR, SRV with additional records, tasks round-robin', async (t) => {
  const { port } = await setup(t)
  const ptr = await udp(port, { name: '3.0.19.172.in-addr.arpa', type: 'PTR' })
  t.same(
    ptr.answers?.map((r) => [r.type, r.data, r.ttl]),
    [['PTR', 'db.backend', 600]],
  )
  const ptr6 = await udp(port, {
    name: '2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.1.0.0.0.0.d.f.ip6.arpa',
    type: 'PTR',
  })
  t.same(
    ptr6.answers?.map((r) => r.data),
    ['web.frontend'],
  )
  const srv = await udp(port, { name: '_pg._tcp.db', type: 'SRV' })
  t.same(
    srv.answers?.map((r) => r.data),
    [{ priority: 10, weight: 5, port: 5432, target: 'db' }],
  )
  t.same(
    srv.additionals?.map((r) => [r.type, r.name, r.data]),
    [['A', 'db', '172.19.0.3']],
  )
  const orders = new Set<string>()
  for (let i = 0; i < 3; i++) {
    const r = await udp(port, { name: 'tasks.api' })
    const list = (r.answers ?? []).map((x) => String(x.data))
    t.same([...list].sort(), ['172.19.0.10', '172.19.0.11', '172.19.0.12'])
    orders.add(list.join(','))
  }
  t.equal(orders.size, 3, 'each answer starts with another task')
})

t.test('updates to the source are seen at once (cache invalidation)', async (t) => {
  const { port, table } = await setup(t)
  t.same(
    (await udp(port, { name: 'web' })).answers?.map((r) => r.data),
    ['172.18.0.2'],
  )
  table.removeHost('frontend', 'web', [ip('172.18.0.2')])
  table.addHost('frontend', 'web', [ip('172.18.0.7')])
  t.same(
    (await udp(port, { name: 'web' })).answers?.map((r) => r.data),
    ['172.18.0.7'],
  )
  table.removeNetwork('backend')
  const gone = await udpRaw(port, encodeQuery({ name: 'db.backend' }))
  t.equal(rcodeOf(gone!), 2, 'no longer ours and no upstream: SERVFAIL')
})

t.test(
  'EDNS answers carry OPT; big answers truncate over UDP and come whole over TCP',
  async (t) => {
    const { port, table } = await setup(t)
    const edns = await udp(port, { name: 'web', edns: 1232 })
    t.equal(edns.additionals?.[0]?.type, 'OPT')
    const many = Array.from({ length: 60 }, (_, i) => IP.fromV4Number(0x0a000000 + i))
    table.addService('backend', 'big', many)
    const small = await udp(port, { name: 'tasks.big' })
    t.ok(flagsOf(small.raw) & FLAG.TC, 'TC set within 512 bytes')
    t.same(small.answers, [])
    t.ok(small.raw.length <= 512)
    const roomy = await udp(port, { name: 'tasks.big', edns: 4096 })
    t.notOk(flagsOf(roomy.raw) & FLAG.TC, 'fits the EDNS size')
    t.equal(roomy.answers?.length, 60)
    const overTcp = await tcp(port, { name: 'TASKS.big' })
    t.notOk(flagsOf(overTcp.raw) & FLAG.TC)
    t.equal(overTcp.answers?.length, 60)
    t.equal(overTcp.questions?.[0]?.name, 'TASKS.big')
  },
)

t.test('TCP: several queries on one connection, split across writes', async (t) => {
  const { port } = await setup(t)
  const q1 = encodeQuery({ name: 'web', id: 1 })
  const q2 = encodeQuery({ name: 'db', id: 2 })
  const frame = (b: Buffer) => Buffer.concat([Buffer.from([b.length >> 8, b.length & 255]), b])
  const { connect } = await import('node:net')
  const answers = await new Promise<Reply[]>((resolve, reject) => {
    const s = connect({ port, host: '127.0.0.1' })
    let buf = Buffer.alloc(0)
    const got: Reply[] = []
    s.on('connect', () => {
      const all = Buffer.concat([frame(q1), frame(q2)])
      s.write(all.subarray(0, 5))
      setTimeout(() => s.write(all.subarray(5)), 20)
    })
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d])
      while (buf.length >= 2 && buf.length >= 2 + buf.readUInt16BE(0)) {
        got.push(decode(buf.subarray(2, 2 + buf.readUInt16BE(0))))
        buf = buf.subarray(2 + buf.readUInt16BE(0))
      }
      if (got.length === 2) {
        s.destroy()
        resolve(got)
      }
    })
    s.on('error', reject)
  })
  t.same(
    answers.map((a) => [a.id, a.answers?.[0]?.data]),
    [
      [1, '172.18.0.2'],
      [2, '172.19.0.3'],
    ],
  )
  t.equal(await tcpRaw(port, Buffer.from([1, 2, 3])), undefined, 'garbage over TCP: closed')
})

t.test('bad options and lifecycle errors', async (t) => {
  const table = new RecordTable()
  t.throws(() => new Resolver({ source: table, address: 'nope' }), { code: 'invalid-address' })
  t.throws(() => new Resolver({ source: table, port: 70000 }), { code: 'invalid-port' })
  t.throws(() => new Resolver({ source: {} as RecordTable }), { code: 'invalid-source' })
  for (const bad of [
    { ttl: -1 },
    { ttl: 1.5 },
    { timeoutMs: 0 },
    { maxConcurrent: 0 },
    { tcpIdleMs: NaN },
  ]) {
    t.throws(
      () => new Resolver({ source: table, ...bad }),
      { code: 'invalid-option' },
      JSON.stringify(bad),
    )
  }
  t.throws(
    () => new Resolver({ source: table, upstreams: ['1.1.1.1', '1.1.1.2', '1.1.1.3', '1.1.1.4'] }),
    {
      name: 'BadRequestError',
      code: 'too-many-upstreams',
    },
  )
  t.throws(() => new Resolver({ source: table, upstreams: ['dns.example'] }), {
    code: 'invalid-upstream',
  })
  t.throws(() => new Resolver({ source: table, upstreams: [{ address: '127.0.0.1', port: 0 }] }), {
    code: 'invalid-upstream',
  })
  const r = new Resolver({ source: table, address: '127.0.0.1', port: 0 })
  const { port } = await r.start()
  t.teardown(() => r.stop())
  await t.rejects(r.start(), { code: 'already-started' })
  const twice = new Resolver({ source: table, address: '127.0.0.1', port: 0 })
  const [first, second] = await Promise.allSettled([twice.start(), twice.start()])
  t.equal(first.status, 'fulfilled')
  t.equal(second.status, 'rejected', 'a concurrent second start is refused')
  await twice.stop()
  const clash = new Resolver({ source: table, address: '127.0.0.1', port })
  await t.rejects(clash.start(), { name: 'ConflictError', code: 'address-in-use' })
  t.throws(() => r.setUpstreams(['x']), { code: 'invalid-upstream' })
  t.equal(
    (await udp(port, { name: 'unknown.example' })).rcode,
    'SERVFAIL',
    'upstreams unchanged: none',
  )
})

t.test('serves on an IPv6 address too', async (t) => {
  const { createSocket } = await import('node:dgram')
  const table = new RecordTable()
  table.addHost('net', 'six', [ip('fd00::6')])
  const r = new Resolver({ source: table, address: '::1', port: 0 })
  const started = await r.start().catch((err: Error) => err)
  if (started instanceof Error) {
    t.comment(`skipped: no IPv6 loopback here: ${started.message}`)
    return
  }
  t.teardown(() => r.stop())
  const reply = await new Promise<Buffer>((resolve) => {
    const s = createSocket('udp6')
    s.on('message', (m) => {
      s.close()
      resolve(m)
    })
    s.send(encodeQuery({ name: 'six', type: 'AAAA' }), started.port, '::1')
  })
  t.same(
    decode(reply).answers.map((a) => a.data),
    ['fd00::6'],
  )
})
