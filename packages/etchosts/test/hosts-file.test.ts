import t from 'tap'
import { chmod, readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { IP } from '@libnetwork/types'
import { HostsFile, parseLine, validateHostName } from '../src/index.js'

const ip = (s: string) => IP.parse(s)

const DEFAULTS = [
  '127.0.0.1\tlocalhost',
  '::1\tlocalhost ip6-localhost ip6-loopback',
  'fe00::\tip6-localnet',
  'ff00::\tip6-mcastprefix',
  'ff02::1\tip6-allnodes',
  'ff02::2\tip6-allrouters',
]

t.test('build writes defaults, own line with domain, extra hosts', async (t) => {
  const dir = t.testdir({})
  const hosts = new HostsFile(join(dir, 'hosts'))
  await hosts.build({
    ip: ip('172.17.0.2'),
    hostname: 'web',
    domainname: 'corp.example',
    extraHosts: [{ ip: ip('10.0.0.5'), names: ['db', 'db.local'] }],
  })
  t.equal(
    await readFile(hosts.path, 'utf8'),
    [...DEFAULTS, '172.17.0.2\tweb.corp.example web', '10.0.0.5\tdb db.local', ''].join('\n'),
  )
  await hosts.build({ ip: ip('172.17.0.3'), hostname: 'api', ipv6: false })
  t.equal(await readFile(hosts.path, 'utf8'), '127.0.0.1\tlocalhost\n172.17.0.3\tapi\n')
  await hosts.build({ hostname: 'noip' })
  t.equal(await readFile(hosts.path, 'utf8'), DEFAULTS.join('\n') + '\n', 'no IP: no own line')
})

t.test('add, delete, update and records', async (t) => {
  const dir = t.testdir({})
  const hosts = new HostsFile(join(dir, 'hosts'))
  await hosts.build({ ip: ip('172.18.0.2'), hostname: 'c1', ipv6: false })
  await hosts.add([
    { ip: ip('172.18.0.3'), names: ['c2', 'alias2'] },
    { ip: ip('fd00::3'), names: ['c2'] },
  ])
  t.same(
    (await hosts.records()).map((r) => `${r.ip.toString()} ${r.names.join(',')}`),
    ['127.0.0.1 localhost', '172.18.0.2 c1', '172.18.0.3 c2,alias2', 'fd00::3 c2'],
  )
  t.equal(await hosts.update(ip('172.18.0.9'), 'C2'), 1, 'the IPv4 line of c2, case-insensitively')
  t.equal(await hosts.update(ip('172.18.0.9'), 'c2'), 0, 'IPv6 line untouched, IPv4 one current')
  t.equal(await hosts.update(ip('fd00::9'), 'c2'), 1, 'the IPv6 line')
  t.match(await readFile(hosts.path, 'utf8'), /172\.18\.0\.9\tc2 alias2\n/)
  t.equal(await hosts.delete([{ ip: ip('172.18.0.9'), names: ['c2', 'alias2'] }]), 1)
  t.equal(await hosts.delete([{ ip: ip('172.18.0.9'), names: ['nothere'] }]), 0)
  t.equal(await hosts.update(ip('1.2.3.4'), 'missing'), 0)
  t.same(
    (await hosts.records()).map((r) => r.names[0]),
    ['localhost', 'c1', 'c2'],
  )
})

t.test('comments and unknown lines survive updates', async (t) => {
  const dir = t.testdir({ hosts: '# managed by hand\n10.1.1.1 keep # trailing\nbroken-line\n' })
  const hosts = new HostsFile(join(dir, 'hosts'))
  await hosts.add([{ ip: ip('10.1.1.2'), names: ['x'] }])
  t.equal(
    await readFile(hosts.path, 'utf8'),
    '# managed by hand\n10.1.1.1 keep # trailing\nbroken-line\n10.1.1.2\tx\n',
  )
  t.same(parseLine('10.1.1.1 keep # trailing')?.names, ['keep'])
  t.equal(parseLine('nope x'), undefined)
})

t.test('bad input is rejected with BadRequestError and changes nothing', async (t) => {
  const dir = t.testdir({})
  const hosts = new HostsFile(join(dir, 'hosts'))
  await hosts.build({ ip: ip('172.18.0.2'), hostname: 'c1' })
  const before = await readFile(hosts.path, 'utf8')
  const bad = { name: 'BadRequestError', code: 'invalid-hostname' }
  await t.rejects(
    hosts.add([
      { ip: ip('10.0.0.1'), names: ['ok'] },
      { ip: ip('10.0.0.2'), names: ['bad name'] },
    ]),
    bad,
  )
  await t.rejects(hosts.add([{ ip: ip('10.0.0.1'), names: [] }]), { code: 'invalid-host-record' })
  await t.rejects(hosts.add([{ ip: '10.0.0.1' as unknown as IP, names: ['x'] }]), {
    code: 'invalid-host-record',
  })
  await t.rejects(hosts.update(ip('10.0.0.1'), 'a..b'), bad)
  await t.rejects(hosts.update('10.0.0.1' as unknown as IP, 'c1'), { code: 'invalid-host-record' })
  await t.rejects(hosts.delete([{ ip: ip('10.0.0.1'), names: ['-x'] }]), bad)
  await t.rejects(hosts.build({ ip: ip('10.0.0.1'), hostname: 'h', domainname: 'bad_dom@in' }), bad)
  await t.rejects(hosts.build({ ip: ip('10.0.0.1'), hostname: 'x'.repeat(64) }), bad)
  t.equal(await readFile(hosts.path, 'utf8'), before)
  t.throws(() => new HostsFile(''), { code: 'invalid-path' })
  t.throws(() => validateHostName('a'.repeat(254)), bad)
})

t.test('writes are atomic and keep the mode; I/O failures are UnavailableError', async (t) => {
  const dir = t.testdir({ hosts: '127.0.0.1\tlocalhost\n' })
  const hosts = new HostsFile(join(dir, 'hosts'))
  await chmod(hosts.path, 0o600)
  await hosts.add([{ ip: ip('10.0.0.1'), names: ['a'] }])
  t.equal((await stat(hosts.path)).mode & 0o777, 0o600)
  t.same(await readdir(dir), ['hosts'], 'no temp files left')
  const orphan = new HostsFile(join(dir, 'no-such-dir', 'hosts'))
  await t.rejects(orphan.build(), { name: 'UnavailableError', code: 'etchosts-write' })
  const isDir = new HostsFile(dir)
  await t.rejects(isDir.records(), { name: 'UnavailableError', code: 'etchosts-read' })
  // a failed operation does not block the ones queued after it
  await t.rejects(orphan.add([{ ip: ip('10.0.0.1'), names: ['a'] }]))
})

t.test('many concurrent updates never interleave or lose lines', async (t) => {
  const dir = t.testdir({})
  const hosts = new HostsFile(join(dir, 'hosts'))
  await hosts.build({ ip: ip('172.20.0.1'), hostname: 'self', ipv6: false })
  const N = 200
  const ops: Promise<unknown>[] = []
  for (let i = 0; i < N; i++) {
    const rec = { ip: IP.fromV4Number(0x0a000000 + i), names: [`h${i}`, `alias${i}`] }
    ops.push(hosts.add([rec]))
    // every third record is deleted again, interleaved with the adds of others
    if (i % 3 === 0) ops.push(hosts.delete([rec]))
    if (i % 5 === 1) ops.push(hosts.update(IP.fromV4Number(0x0b000000 + i), `h${i}`))
  }
  await Promise.all(ops)
  const records = await hosts.records()
  const expected = ['localhost', 'self']
  for (let i = 0; i < N; i++) if (i % 3 !== 0) expected.push(`h${i}`)
  t.same(
    records.map((r) => r.names[0]),
    expected,
  )
  for (const r of records) {
    const m = /^h(\d+)$/.exec(r.names[0]!)
    if (m === null) continue
    const i = Number(m[1])
    const want = i % 5 === 1 ? 0x0b000000 + i : 0x0a000000 + i
    t.equal(r.ip.toV4Number(), want, `address of h${i}`)
    t.same(r.names, [`h${i}`, `alias${i}`])
  }
  const text = await readFile(hosts.path, 'utf8')
  t.equal(text.split('\n').length, expected.length + 1, 'one line per record, nothing torn')
})
