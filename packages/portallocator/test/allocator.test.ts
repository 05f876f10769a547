import t from 'tap'
import fc from 'fast-check'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { IP, LibnetworkError, type ConflictError } from '@libnetwork/types'
import {
  DEFAULT_DYNAMIC_RANGE,
  PortAllocator,
  readDynamicRange,
  type Protocol,
} from '../src/index.js'

const ANY = IP.parse('0.0.0.0')
const A = IP.parse('10.0.0.1')
const B = IP.parse('10.0.0.2')
const V6 = IP.parse('fd00::1')

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'DEFAULT_DYNAMIC_RANGE',
    'PORT_RANGE_FILE',
    'PROTOCOLS',
    'PortAllocator',
    'readDynamicRange',
  ])
})

t.test('dynamic range from the kernel file, with the upstream fallback', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-portallocator-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const good = join(dir, 'good')
  writeFileSync(good, '32768\t60999\n')
  t.same(readDynamicRange(good), { start: 32768, end: 60999 })
  const bad = join(dir, 'bad')
  writeFileSync(bad, 'garbage\n')
  t.same(readDynamicRange(bad), DEFAULT_DYNAMIC_RANGE)
  const reversed = join(dir, 'reversed')
  writeFileSync(reversed, '60000 1000\n')
  t.same(readDynamicRange(reversed), { start: 49153, end: 65535 })
  t.same(readDynamicRange(join(dir, 'missing')), { start: 49153, end: 65535 })
  t.same(new PortAllocator({ rangeFile: good }).dynamicRange, { start: 32768, end: 60999 })
  t.same(new PortAllocator({ range: { start: 100, end: 200 } }).dynamicRange, {
    start: 100,
    end: 200,
  })
})

t.test('specific, any and ranged requests', async (t) => {
  const pa = new PortAllocator({ range: { start: 1000, end: 1004 } })
  t.equal(pa.requestPort(ANY, 'tcp', 80), 80)
  t.equal(pa.requestPort(undefined, 'tcp'), 1000, 'defaults to 0.0.0.0, first of the range')
  t.equal(pa.requestPort(ANY, 'tcp'), 1001, 'round robin')
  pa.releasePort(ANY, 'tcp', 1000)
  t.equal(pa.requestPort(ANY, 'tcp'), 1002, 'continues after the last, not the lowest free')
  t.equal(pa.requestPort(ANY, 'udp', 80), 80, 'protocols are independent')
  t.equal(pa.requestPort(ANY, 'sctp', 80), 80)
  t.equal(pa.requestPortInRange(A, 'tcp', 8000, 8002), 8000)
  t.equal(pa.requestPortInRange(A, 'tcp', 8000, 8002), 8001)
  t.equal(pa.requestPortInRange(A, 'tcp', 8000, 8002), 8002)
  t.throws(() => pa.requestPortInRange(A, 'tcp', 8000, 8002), { code: 'ports-exhausted' })
  t.equal(pa.requestPortInRange(A, 'tcp', 7000, 7000), 7000, 'start = end is that port')
  t.ok(pa.isAllocated(A, 'tcp', 7000))
  t.notOk(pa.isAllocated(B, 'tcp', 7000))
  t.equal(pa.requestPort(V6, 'tcp', 80), 80, 'IPv6 is a separate family')
  t.same(
    pa.allocations().map((a) => `${a.ip.toString()}/${a.protocol}/${a.port}`),
    [
      '0.0.0.0/tcp/80',
      '0.0.0.0/tcp/1001',
      '0.0.0.0/tcp/1002',
      '10.0.0.1/tcp/7000',
      '10.0.0.1/tcp/8000',
      '10.0.0.1/tcp/8001',
      '10.0.0.1/tcp/8002',
      '0.0.0.0/udp/80',
      '0.0.0.0/sctp/80',
      'fd00::1/tcp/80',
    ],
  )
  pa.releaseAll()
  t.same(pa.allocations(), [])
})

t.test('a taken port is a ConflictError naming ip, port and protocol', async (t) => {
  const pa = new PortAllocator({ range: { start: 1000, end: 1010 } })
  pa.requestPort(A, 'udp', 5353)
  const err = t.throws(() => pa.requestPort(A, 'udp', 5353)) as ConflictError
  t.ok(LibnetworkError.isInstance(err))
  t.equal(err.category, 'conflict')
  t.equal(err.code, 'port-already-allocated')
  t.same(err.details, { ip: '10.0.0.1', port: 5353, protocol: 'udp' })
  t.match(err.message, /10\.0\.0\.1:5353\/udp/)
  pa.requestPort(V6, 'tcp', 443)
  t.throws(() => pa.requestPort(V6, 'tcp', 443), { message: /\[fd00::1\]:443\/tcp/ })
})

t.test('0.0.0.0 conflicts with specific addresses both ways', async (t) => {
  const pa = new PortAllocator({ range: { start: 1000, end: 1002 } })
  pa.requestPort(A, 'tcp', 8080)
  t.throws(() => pa.requestPort(ANY, 'tcp', 8080), { code: 'port-already-allocated' })
  t.equal(pa.requestPort(B, 'tcp', 8080), 8080, 'two specific addresses do not conflict')
  t.equal(pa.requestPort(ANY, 'udp', 8080), 8080, 'other protocol is free')
  pa.requestPort(ANY, 'tcp', 9090)
  t.match(
    t.throws(() => pa.requestPort(A, 'tcp', 9090)),
    {
      details: { ip: '10.0.0.1', port: 9090, protocol: 'tcp' },
    },
  )
  t.equal(pa.requestPort(V6, 'tcp', 9090), 9090, 'IPv4 0.0.0.0 does not hold IPv6 ports')
  // "any" on 0.0.0.0 skips ports held by a specific address
  pa.requestPort(A, 'tcp', 1000)
  t.equal(pa.requestPort(ANY, 'tcp'), 1001)
  pa.releasePort(A, 'tcp', 8080)
  t.throws(() => pa.requestPort(ANY, 'tcp', 8080), 'B still holds 8080')
  pa.releasePort(B, 'tcp', 8080)
  t.equal(pa.requestPort(ANY, 'tcp', 8080), 8080)
})

t.test('bad input is a typed error and leaves state unchanged', async (t) => {
  const pa = new PortAllocator({ range: { start: 1000, end: 1002 } })
  pa.requestPort(A, 'tcp', 80)
  const before = pa.allocations()
  const bad: [string, () => unknown, string][] = [
    ['port 0 release', () => pa.releasePort(A, 'tcp', 0), 'invalid-port-range'],
    ['port 65536', () => pa.requestPort(A, 'tcp', 65536), 'invalid-port-range'],
    ['negative port', () => pa.requestPort(A, 'tcp', -1), 'invalid-port-range'],
    ['fractional port', () => pa.requestPort(A, 'tcp', 80.5), 'invalid-port-range'],
    ['NaN port', () => pa.requestPort(A, 'tcp', NaN), 'invalid-port-range'],
    ['reversed range', () => pa.requestPortInRange(A, 'tcp', 9000, 8000), 'invalid-port-range'],
    ['half-open range', () => pa.requestPortInRange(A, 'tcp', 0, 8000), 'invalid-port-range'],
    ['protocol', () => pa.requestPort(A, 'icmp' as Protocol, 80), 'unknown-protocol'],
    ['ip string', () => pa.requestPort('10.0.0.1' as unknown as IP, 'tcp', 81), 'invalid-ip'],
    ['double release', () => pa.releasePort(A, 'tcp', 81), 'port-not-allocated'],
    ['release on other ip', () => pa.releasePort(ANY, 'tcp', 80), 'port-not-allocated'],
    [
      'bad range option',
      () => new PortAllocator({ range: { start: 5, end: 1 } }),
      'invalid-port-range',
    ],
  ]
  for (const [name, fn, code] of bad) {
    const err = t.throws(fn, name) as LibnetworkError
    t.ok(LibnetworkError.isInstance(err), `${name}: typed`)
    t.equal(err.code, code, `${name}: ${code}`)
  }
  t.equal((t.throws(() => pa.releasePort(B, 'tcp', 80)) as LibnetworkError).category, 'not-found')
  t.same(pa.allocations(), before, 'state unchanged')
})

t.test('exhausting the dynamic range', async (t) => {
  const pa = new PortAllocator({ range: { start: 2000, end: 2099 } })
  const seen = new Set<number>()
  for (let i = 0; i < 100; i++) seen.add(pa.requestPort(ANY, 'tcp'))
  t.equal(seen.size, 100)
  t.same([Math.min(...seen), Math.max(...seen)], [2000, 2099])
  const err = t.throws(() => pa.requestPort(ANY, 'tcp')) as LibnetworkError
  t.equal(err.category, 'unavailable')
  t.same(err.details, { ip: '0.0.0.0', protocol: 'tcp', start: 2000, end: 2099 })
  pa.releasePort(ANY, 'tcp', 2050)
  t.equal(pa.requestPort(ANY, 'tcp'), 2050)
})

// Property: any sequence of operations matches a naive model (a set of "ip/proto/port" with the
// bind conflict rule), including which operations fail and with which code.
t.test('property: equals a naive model', async (t) => {
  const ips = [ANY, A, B]
  const protos: Protocol[] = ['tcp', 'udp']
  const lo = 3000
  const hi = 3007
  const op = fc.record({
    kind: fc.constantFrom('specific', 'any', 'range', 'release'),
    ip: fc.integer({ min: 0, max: 2 }),
    proto: fc.integer({ min: 0, max: 1 }),
    port: fc.integer({ min: lo, max: hi }),
  })
  fc.assert(
    fc.property(fc.array(op, { maxLength: 80 }), (ops) => {
      const pa = new PortAllocator({ range: { start: lo, end: hi } })
      const model = new Set<string>()
      const key = (i: number, p: Protocol, port: number) => `${i}/${p}/${port}`
      const free = (i: number, p: Protocol, port: number) => {
        if (model.has(key(0, p, port)) || model.has(key(i, p, port))) return false
        if (i === 0) return !model.has(key(1, p, port)) && !model.has(key(2, p, port))
        return true
      }
      for (const o of ops) {
        const ip = ips[o.ip]!
        const p = protos[o.proto]!
        if (o.kind === 'specific') {
          const ok = free(o.ip, p, o.port)
          if (ok) {
            if (pa.requestPort(ip, p, o.port) !== o.port) return false
            model.add(key(o.ip, p, o.port))
          } else {
            try {
              pa.requestPort(ip, p, o.port)
              return false
            } catch (e) {
              if ((e as LibnetworkError).code !== 'port-already-allocated') return false
            }
          }
        } else if (o.kind === 'release') {
          const had = model.has(key(o.ip, p, o.port))
          try {
            pa.releasePort(ip, p, o.port)
            if (!had) return false
            model.delete(key(o.ip, p, o.port))
          } catch (e) {
            if (had || (e as LibnetworkError).code !== 'port-not-allocated') return false
          }
        } else {
          const [s, e] = o.kind === 'any' ? [lo, hi] : [lo + 2, hi - 2]
          let anyFree = false
          for (let q = s; q <= e; q++) if (free(o.ip, p, q)) anyFree = true
          try {
            const got =
              o.kind === 'any' ? pa.requestPort(ip, p) : pa.requestPortInRange(ip, p, s, e)
            if (!anyFree || got < s || got > e || !free(o.ip, p, got)) return false
            model.add(key(o.ip, p, got))
          } catch (err) {
            if (anyFree || (err as LibnetworkError).code !== 'ports-exhausted') return false
          }
        }
      }
      const listed = pa
        .allocations()
        .map((a) =>
          key(
            ips.findIndex((x) => x.equals(a.ip)),
            a.protocol,
            a.port,
          ),
        )
        .sort()
      return JSON.stringify(listed) === JSON.stringify([...model].sort())
    }),
    { numRuns: 300, seed: 42 },
  )
  t.pass('model holds for 300 random sequences')
})
