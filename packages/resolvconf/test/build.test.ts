import t from 'tap'
import { BadRequestError, IP } from '@libnetwork/types'
import {
  buildContainerResolvConf,
  filterNameservers,
  parseResolvConf,
  validateOption,
  validateSearchDomain,
} from '../src/index.js'

const str = (ips: IP[]) => ips.map((i) => i.toString())

t.test('filter drops loopback nameservers and IPv6 ones when IPv6 is off', (t) => {
  const conf = parseResolvConf(
    'nameserver 127.0.0.1\nnameserver 10.1.1.1\nnameserver ::1\nnameserver 2001:db8::53\n',
  )
  const v6 = filterNameservers(conf, { ipv6: true })
  t.same(str(v6.conf.nameservers), ['10.1.1.1', '2001:db8::53'])
  t.same(str(v6.removed), ['127.0.0.1', '::1'])
  t.equal(v6.usedFallback, false)
  const v4 = filterNameservers(conf, { ipv6: false })
  t.same(str(v4.conf.nameservers), ['10.1.1.1'])
  t.same(str(v4.removed), ['127.0.0.1', '::1', '2001:db8::53'])
  t.same(str(conf.nameservers).length, 4, 'input untouched')
  t.end()
})

t.test('filter falls back to public resolvers when nothing is left', (t) => {
  const conf = parseResolvConf('nameserver 127.0.0.53\nnameserver 127.0.1.1\n')
  const v4 = filterNameservers(conf, { ipv6: false })
  t.same(str(v4.conf.nameservers), ['8.8.8.8', '8.8.4.4'])
  t.equal(v4.usedFallback, true)
  const v6 = filterNameservers(conf, { ipv6: true })
  t.same(str(v6.conf.nameservers), [
    '8.8.8.8',
    '8.8.4.4',
    '2001:4860:4860::8888',
    '2001:4860:4860::8844',
  ])
  const onlyV6 = filterNameservers(parseResolvConf('nameserver 2001:db8::1\n'), { ipv6: false })
  t.same(str(onlyV6.conf.nameservers), ['8.8.8.8', '8.8.4.4'])
  t.end()
})

const host = parseResolvConf(
  'nameserver 127.0.0.1\nnameserver 10.0.0.2\nsearch corp.example\noptions ndots:2 edns0\n',
)

t.test('container file from host file without overrides', (t) => {
  const r = buildContainerResolvConf(host)
  t.same(str(r.conf.nameservers), ['10.0.0.2'])
  t.same(r.conf.search, ['corp.example'])
  t.same(r.conf.options, ['ndots:2', 'edns0'])
  t.same(str(r.upstreams), ['10.0.0.2'])
  t.end()
})

t.test('overrides replace the host values', (t) => {
  const r = buildContainerResolvConf(host, {
    dns: ['1.1.1.1', IP.parse('2001:db8::1')],
    dnsSearch: ['a.example', 'b.example.'],
    dnsOptions: ['timeout:3'],
  })
  t.same(str(r.conf.nameservers), ['1.1.1.1', '2001:db8::1'])
  t.same(r.conf.search, ['a.example', 'b.example'])
  t.same(r.conf.options, ['timeout:3'])
  t.same(buildContainerResolvConf(host, { dnsSearch: ['.'] }).conf.search, [])
  t.end()
})

t.test('embedded DNS: 127.0.0.11 in the file, real servers as upstreams, ndots:0', (t) => {
  const r = buildContainerResolvConf(parseResolvConf('nameserver 10.0.0.2\n'), {
    embeddedDNS: '127.0.0.11',
    ipv6: false,
  })
  t.same(str(r.conf.nameservers), ['127.0.0.11'])
  t.same(r.conf.options, ['ndots:0'])
  t.same(str(r.upstreams), ['10.0.0.2'])
  const kept = buildContainerResolvConf(host, { embeddedDNS: '127.0.0.11' })
  t.same(kept.conf.options, ['ndots:2', 'edns0'], 'a user ndots is kept')
  t.end()
})

t.test('bad overrides throw BadRequestError and build nothing', (t) => {
  const cases: [Parameters<typeof buildContainerResolvConf>[1], string][] = [
    [{ dns: ['10.0.0.300'] }, 'invalid-dns'],
    [{ dns: ['example.com'] }, 'invalid-dns'],
    [{ dnsSearch: ['bad domain'] }, 'invalid-dns-search'],
    [{ dnsSearch: ['-lead.example'] }, 'invalid-dns-search'],
    [{ dnsSearch: ['a'.repeat(64) + '.example'] }, 'invalid-dns-search'],
    [{ dnsSearch: ['.', 'a.example'] }, 'invalid-dns-search'],
    [{ dnsSearch: [''] }, 'invalid-dns-search'],
    [{ dnsOptions: ['nd ots:1'] }, 'invalid-dns-option'],
    [{ dnsOptions: [''] }, 'invalid-dns-option'],
    [{ embeddedDNS: 'nope' }, 'invalid-dns'],
  ]
  for (const [opts, code] of cases) {
    t.throws(() => buildContainerResolvConf(host, opts), { name: 'BadRequestError', code })
  }
  t.same(str(host.nameservers), ['127.0.0.1', '10.0.0.2'], 'host config unchanged')
  t.ok(BadRequestError)
  t.end()
})

t.test('validators', (t) => {
  t.equal(validateSearchDomain('example.com.'), 'example.com')
  t.equal(validateSearchDomain('.'), '.')
  t.equal(validateSearchDomain('_srv.x-y.example'), '_srv.x-y.example')
  t.equal(validateOption('ndots:5'), 'ndots:5')
  t.equal(validateOption('single-request-reopen'), 'single-request-reopen')
  t.throws(() => validateOption('a#b'), { code: 'invalid-dns-option' })
  t.end()
})
