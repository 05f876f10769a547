import t from 'tap'
import { IP } from '@libnetwork/types'
import { RecordTable, reverseToAddress, type RecordUpdate } from '../src/index.js'

const ip = (s: string) => IP.parse(s)

t.test('lookups: network order, scoped names, tasks, PTR, SRV', (t) => {
  const table = new RecordTable()
  table.addHost('a', 'web', [ip('10.1.0.2')])
  table.addHost('b', 'web', [ip('10.2.0.2'), ip('fd00::2')])
  table.addService('b', 'api', [ip('10.2.0.10')])
  table.addSrv('b', '_http._tcp.api', [{ target: 'web.b', port: 80, priority: 0, weight: 0 }])
  t.same(table.lookupName('web'), { ipv4: ['10.1.0.2'], ipv6: [], roundRobin: false })
  t.same(table.lookupName('web.b'), { ipv4: ['10.2.0.2'], ipv6: ['fd00::2'], roundRobin: false })
  t.equal(table.lookupName('nope.b'), 'nxdomain')
  t.equal(table.lookupName('nope'), undefined)
  t.equal(table.lookupName('web.c'), undefined)
  t.same(table.lookupName('tasks.api'), { ipv4: ['10.2.0.10'], ipv6: [], roundRobin: true })
  t.same(table.lookupAddress('fd00::2'), ['web.b'])
  t.equal(table.lookupAddress('10.9.9.9'), undefined)
  const srv = table.lookupService('_http._tcp.api')
  t.same(srv, {
    records: [{ target: 'web.b', port: 80, priority: 0, weight: 0 }],
    additional: [{ name: 'web.b', ipv4: ['10.2.0.2'], ipv6: ['fd00::2'] }],
  })
  t.end()
})

t.test('names are case-insensitive and validated; bad updates change nothing', (t) => {
  const table = new RecordTable()
  table.addHost('Net', 'Web.', [ip('10.0.0.1')])
  t.ok(typeof table.lookupName('web.net') === 'object')
  const v = table.version
  const bad: [RecordUpdate, string][] = [
    [{ op: 'add-host', network: 'net', name: 'bad name', ips: ['10.0.0.2'] }, 'invalid-name'],
    [{ op: 'add-host', network: '', name: 'x', ips: ['10.0.0.2'] }, 'invalid-name'],
    [{ op: 'add-host', network: 'net', name: 'x', ips: ['10.0.0.256'] }, 'invalid-ip'],
    [{ op: 'add-host', network: 'net', name: 'x'.repeat(64), ips: [] }, 'invalid-name'],
    [{ op: 'add-srv', network: 'net', name: 's', targets: [] }, 'invalid-srv'],
    [
      {
        op: 'add-srv',
        network: 'net',
        name: 's',
        targets: [{ target: 'x', port: 70000, priority: 0, weight: 0 }],
      },
      'invalid-srv',
    ],
    [{ op: 'bogus' } as unknown as RecordUpdate, 'invalid-name'],
    [{ op: 'bogus', network: 'net' } as unknown as RecordUpdate, 'invalid-update'],
  ]
  for (const [u, code] of bad)
    t.throws(() => table.apply(u), { name: 'BadRequestError', code }, u.op)
  t.throws(() => table.apply(null as unknown as RecordUpdate), { code: 'invalid-update' })
  t.equal(table.version, v, 'version unchanged')
  t.equal(table.lookupName('x'), undefined)
  t.same(table.snapshot(), [{ op: 'add-host', network: 'net', name: 'web', ips: ['10.0.0.1'] }])
  t.end()
})

t.test('removals, snapshot and subscribe mirror a table', (t) => {
  const table = new RecordTable()
  const mirror = new RecordTable()
  const seen: RecordUpdate[] = []
  const off = table.subscribe((u) => {
    seen.push(structuredClone(u))
    mirror.apply(structuredClone(u))
  })
  table.addHost('n', 'h', [ip('10.0.0.1'), ip('10.0.0.2')])
  table.removeHost('n', 'h', [ip('10.0.0.1')])
  table.addService('n', 's', [ip('10.0.0.5'), ip('10.0.0.6')])
  table.removeService('n', 's', [ip('10.0.0.5')])
  table.addSrv('n', '_a._udp.s', [{ target: 'h', port: 53, priority: 1, weight: 1 }])
  t.same(mirror.snapshot(), table.snapshot())
  t.same(table.lookupName('h.n'), { ipv4: ['10.0.0.2'], ipv6: [], roundRobin: false })
  table.removeHost('n', 'h', [ip('10.0.0.2')])
  t.equal(table.lookupName('h'), undefined, 'last address removed: name gone')
  table.removeService('n', 's')
  table.removeSrv('n', '_a._udp.s')
  table.removeHost('n', 'missing')
  t.equal(table.lookupName('tasks.s'), undefined)
  off()
  table.removeNetwork('n')
  t.equal(
    seen.length,
    8,
    'every change published until unsubscribed (removing a missing name is none)',
  )
  t.same(table.snapshot(), [])
  const copy = new RecordTable()
  for (const u of mirror.snapshot()) copy.apply(u)
  t.same(copy.snapshot(), mirror.snapshot())
  t.end()
})

t.test('reverseToAddress', (t) => {
  t.equal(reverseToAddress('4.3.2.1.in-addr.arpa'), '1.2.3.4')
  t.equal(reverseToAddress('4.3.2.in-addr.arpa'), undefined)
  t.equal(reverseToAddress('999.3.2.1.in-addr.arpa'), undefined)
  t.equal(
    reverseToAddress('1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.ip6.arpa'),
    '::1',
  )
  t.equal(reverseToAddress('x.ip6.arpa'), undefined)
  t.equal(reverseToAddress('example.com'), undefined)
  t.end()
})

t.test('aliases resolve but never become the PTR name', (t) => {
  const table = new RecordTable()
  table.addAlias('net', 'www', [ip('10.3.0.2')])
  table.addHost('net', 'web-1', [ip('10.3.0.2')])
  t.same(table.lookupName('www'), { ipv4: ['10.3.0.2'], ipv6: [], roundRobin: false })
  t.same(table.lookupAddress('10.3.0.2'), ['web-1.net'])
  const copy = new RecordTable()
  for (const u of table.snapshot()) copy.apply(structuredClone(u))
  t.same(copy.snapshot(), table.snapshot())
  t.same(copy.lookupAddress('10.3.0.2'), ['web-1.net'], 'alias flag survives the snapshot')
  table.removeHost('net', 'web-1')
  t.equal(table.lookupAddress('10.3.0.2'), undefined, 'only the alias is left: no PTR')
  t.end()
})
