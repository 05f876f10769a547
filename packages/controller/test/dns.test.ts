// Privileged: the embedded DNS servers of several sandboxes served by this thread from sockets
// opened inside each sandbox's namespace; failures give typed errors, leak no fd and leave the
// thread in its own namespace. Namespaces are lnt-controller-dns-<random>, deleted in teardown.
import t from 'tap'
import { execFile, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { closeSync, readdirSync, readlinkSync } from 'node:fs'
import { promisify } from 'node:util'
import { createNetns, deleteNetns, netnsExists, openSocketInNetns } from '@libnetwork/netlink'
import type { RecordUpdate } from '@libnetwork/resolver'
import { ConflictError, NotFoundError } from '@libnetwork/types'
import { DnsService } from '../src/dns.js'

const run = promisify(execFile)
const fds = () => readdirSync('/proc/self/fd').length
const home = () => readlinkSync('/proc/thread-self/ns/net')

function testNetns(t: { teardown: (fn: () => void) => void }): string {
  const name = `lnt-controller-dns-${randomBytes(3).toString('hex')}`
  createNetns(name)
  t.teardown(() => {
    if (netnsExists(name)) deleteNetns(name)
  })
  spawnSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
  return `/var/run/netns/${name}`
}

/** The first A record for `name` from 127.0.0.11 inside `ns` (dig is not needed: Node asks). */
async function ask(ns: string, name: string): Promise<string | undefined> {
  const labels = name.split('.').map((l) => `${String.fromCharCode(l.length)}${l}`)
  const q = Buffer.concat([
    Buffer.from([0, 9, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]),
    Buffer.from(labels.join('') + '\0', 'latin1'),
    Buffer.from([0, 1, 0, 1]),
  ]).toString('hex')
  const client = `
    const s = require('node:dgram').createSocket('udp4')
    s.on('message', (m) => { process.stdout.write(m.toString('hex')); s.close() })
    s.send(Buffer.from('${q}', 'hex'), 53, '127.0.0.11')
    setTimeout(() => process.exit(3), 2000).unref()`
  const { stdout } = await run('nsenter', [`--net=${ns}`, process.execPath, '-e', client])
  const reply = Buffer.from(stdout, 'hex')
  if (reply.readUInt16BE(6) === 0) return undefined
  return [...reply.subarray(-4)].join('.')
}

const canRun = process.getuid?.() === 0 && spawnSync('nsenter', ['--version']).status === 0
if (!canRun) {
  t.comment('skipped: needs root and nsenter to create and enter network namespaces')
  t.pass('skipped: not root')
} else {
  t.test('one thread serves the resolvers of several sandboxes', async (t) => {
    const a = testNetns(t)
    const b = testNetns(t)
    const ownNs = home()
    const before = fds()
    const dns = new DnsService()
    t.teardown(() => dns.stop())
    const web: RecordUpdate = { op: 'add-host', network: 'front', name: 'web', ips: ['172.18.0.2'] }
    await dns.serve('a', a, [], [web])
    await dns.serve('b', b, [], [])
    await dns.serve('a', a, [], []) // already serving: no change
    t.same(dns.serving, ['a', 'b'])
    t.equal(home(), ownNs, 'the thread is back in its own namespace')
    t.equal(await ask(a, 'web'), '172.18.0.2')
    t.equal(await ask(b, 'web'), undefined, 'b does not know web (its own records only)')
    await dns.update(
      ['a', 'b', 'gone'],
      [{ op: 'add-host', network: 'front', name: 'db', ips: ['172.18.0.3'] }],
    )
    t.equal(await ask(a, 'db'), '172.18.0.3')
    t.equal(await ask(b, 'db'), '172.18.0.3')
    await dns.close('b')
    await t.rejects(ask(b, 'db'), 'nothing listens in b after close')
    t.equal(await ask(a, 'db'), '172.18.0.3', 'a still serves')
    await dns.stop()
    t.same(dns.serving, [])
    t.equal(fds(), before, 'every socket was closed')
  })

  t.test('failures: typed errors, no fd leaked, thread home, state unchanged', async (t) => {
    const ns = testNetns(t)
    const ownNs = home()
    const dns = new DnsService()
    t.teardown(() => dns.stop())
    const before = fds()
    await t.rejects(
      dns.serve('x', '/var/run/netns/lnt-controller-dns-missing', [], []),
      NotFoundError,
      'a namespace that is gone',
    )
    t.same(dns.serving, [])
    t.equal(fds(), before)
    t.equal(home(), ownNs)

    // 127.0.0.11:53 TCP already taken inside the namespace: the UDP socket goes again.
    const held = openSocketInNetns(ns, {
      type: 'tcp4',
      address: '127.0.0.11',
      port: 53,
      listen: true,
    })
    await t.rejects(dns.serve('x', ns, [], []), ConflictError)
    t.same(dns.serving, [])
    t.equal(fds(), before + 1, 'only the held socket is open')
    t.equal(home(), ownNs)
    closeSync(held)

    // The same id serves once the port is free.
    await dns.serve('x', ns, [], [{ op: 'add-host', network: 'n', name: 'ok', ips: ['10.0.0.9'] }])
    t.equal(await ask(ns, 'ok'), '10.0.0.9')
    await dns.close('x')
    t.equal(fds(), before)
  })
}
