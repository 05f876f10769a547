// Properties: formatting then parsing keeps a configuration; filtering never leaves a
// loopback (or, with IPv6 off, an IPv6) nameserver and never leaves none.
import t from 'tap'
import fc from 'fast-check'
import { IP } from '@libnetwork/types'
import { filterNameservers, formatResolvConf, mergeOptions, parseResolvConf } from '../src/index.js'

const ipv4 = fc
  .tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255))
  .map((p) => IP.parse(p.join('.')))
const ipv6 = fc
  .array(fc.nat(0xffff), { minLength: 8, maxLength: 8 })
  .map((g) => IP.parse(g.map((x) => x.toString(16)).join(':')))
const label = fc.stringMatching(/^[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?$/)
const domain = fc.array(label, { minLength: 1, maxLength: 4 }).map((l) => l.join('.'))
const option = fc.oneof(
  fc.constantFrom('edns0', 'rotate', 'trust-ad', 'use-vc'),
  fc
    .tuple(fc.constantFrom('ndots', 'timeout', 'attempts'), fc.nat(15))
    .map(([k, v]) => `${k}:${v}`),
)
const conf = fc.record({
  nameservers: fc.array(
    fc.oneof(ipv4, ipv6, fc.constant(IP.parse('127.0.0.1')), fc.constant(IP.parse('::1'))),
    { maxLength: 5 },
  ),
  search: fc.array(domain, { maxLength: 4 }),
  options: fc.array(option, { maxLength: 4 }),
  other: fc.constant([] as string[]),
})

t.test('format → parse round-trips', (t) => {
  fc.assert(
    fc.property(conf, (c) => {
      const back = parseResolvConf(formatResolvConf(c))
      return (
        back.nameservers.map(String).join() === c.nameservers.map(String).join() &&
        back.search.join() === c.search.join() &&
        back.options.join() === mergeOptions(c.options).join()
      )
    }),
    { seed: 11, numRuns: 300 },
  )
  t.pass('round-trip held for 300 configurations')
  t.end()
})

t.test('filtering keeps only reachable nameservers, never none', (t) => {
  fc.assert(
    fc.property(conf, fc.boolean(), (c, ipv6on) => {
      const { conf: out, removed } = filterNameservers(c, { ipv6: ipv6on })
      const ok = out.nameservers.every((n) => !n.isLoopback() && (ipv6on || n.version === 4))
      return ok && out.nameservers.length > 0 && removed.length <= c.nameservers.length
    }),
    { seed: 12, numRuns: 300 },
  )
  t.pass('filter invariants held for 300 configurations')
  t.end()
})
