// Privileged: the resolver serving 127.0.0.11:53 inside a network namespace of its own, from a
// worker thread that entered it, and from the main thread through sockets a factory opened
// there. Creates lnt-resolver-<random> namespaces and deletes them in teardown.
import t from 'tap'
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { promisify } from 'node:util'
import { randomBytes } from 'node:crypto'
import { IP } from '@libnetwork/types'
import { readlinkSync } from 'node:fs'
import { RecordTable, Resolver, startResolverWorker } from '../src/index.js'
import { FakeUpstream, encodeQuery, udpRaw } from './helpers.js'
import { openSocket } from './fixtures/sockets.js'

const execFileAsync = promisify(execFile)

/** Ask `name` over UDP from a client process inside `ns` (async: this thread serves it). */
async function askInside(ns: string, name: string, id: number): Promise<Buffer> {
  const query = encodeQuery({ name, id }).toString('hex')
  const client = `
    const s = require('node:dgram').createSocket('udp4')
    s.on('message', (m) => { process.stdout.write(m.toString('hex')); s.close() })
    s.send(Buffer.from('${query}', 'hex'), 53, '127.0.0.11')
    setTimeout(() => process.exit(3), 3000).unref()`
  const { stdout } = await execFileAsync('ip', [
    'netns',
    'exec',
    ns,
    process.execPath,
    '-e',
    client,
  ])
  return Buffer.from(stdout, 'hex')
}

function testNetns(t: { teardown: (fn: () => void) => void }): string {
  const ns = `lnt-resolver-${randomBytes(4).toString('hex')}`
  execFileSync('ip', ['netns', 'add', ns])
  t.teardown(() => {
    spawnSync('ip', ['netns', 'del', ns])
  })
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  return ns
}

const canRun = process.getuid?.() === 0 && spawnSync('ip', ['netns', 'list']).status === 0
if (!canRun) {
  t.comment('skipped: needs root and iproute2 to create a network namespace')
  t.pass('skipped: not root or no `ip`')
} else {
  t.test('serves 127.0.0.11:53 inside the namespace only', async (t) => {
    const ns = `lnt-resolver-${randomBytes(4).toString('hex')}`
    execFileSync('ip', ['netns', 'add', ns])
    t.teardown(() => {
      spawnSync('ip', ['netns', 'del', ns])
    })
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    const table = new RecordTable()
    table.addHost('frontend', 'web', [IP.parse('172.18.0.2')])
    const worker = await startResolverWorker({
      table,
      enterNamespace: {
        module: new URL('./fixtures/setns.ts', import.meta.url).href,
        name: 'enter',
        args: [`/var/run/netns/${ns}`],
      },
    })
    t.teardown(() => worker.stop())
    t.equal(worker.address, '127.0.0.11')
    t.equal(worker.port, 53)
    table.addHost('frontend', 'db', [IP.parse('172.18.0.3')])
    await worker.sync()

    // A client inside the namespace.
    const query = encodeQuery({ name: 'db.frontend', id: 77 }).toString('hex')
    const client = `
      const s = require('node:dgram').createSocket('udp4')
      s.on('message', (m) => { process.stdout.write(m.toString('hex')); s.close() })
      s.send(Buffer.from('${query}', 'hex'), 53, '127.0.0.11')
      setTimeout(() => process.exit(3), 3000).unref()`
    const out = execFileSync('ip', ['netns', 'exec', ns, process.execPath, '-e', client])
    const reply = Buffer.from(out.toString(), 'hex')
    t.equal(reply.readUInt16BE(0), 77)
    t.equal(reply[3]! & 15, 0, 'NOERROR')
    t.same([...reply.subarray(-4)], [172, 18, 0, 3], 'the A record')

    const before = (await worker.stats()).queries
    // The root namespace's 127.0.0.11 is not where the resolver listens.
    await udpRaw(53, encodeQuery({ name: 'db.frontend' }), 300, '127.0.0.11')
    t.equal((await worker.stats()).queries, before, 'nothing reached it from the root namespace')
  })

  t.test(
    'main thread: serves and forwards inside the namespace through factory sockets',
    async (t) => {
      const ns = testNetns(t)
      const path = `/var/run/netns/${ns}`
      const home = readlinkSync('/proc/thread-self/ns/net')
      // The upstream listens on the namespace's own loopback: only a forwarding socket that
      // lives in the namespace reaches it.
      const up = await new FakeUpstream('192.0.2.44').start((spec) => openSocket(spec, path))
      t.teardown(() => up.stop())
      const table = new RecordTable()
      table.addHost('frontend', 'web', [IP.parse('172.18.0.2')])
      const resolver = new Resolver({
        source: table,
        upstreams: [{ address: '127.0.0.1', port: up.port }],
        openSocket: (spec) => openSocket(spec, path),
      })
      t.same(await resolver.start(), { address: '127.0.0.11', port: 53 })
      t.teardown(() => resolver.stop())
      t.equal(readlinkSync('/proc/thread-self/ns/net'), home, 'the main thread is back home')

      const local = await askInside(ns, 'web.frontend', 5)
      t.equal(local.readUInt16BE(0), 5)
      t.same([...local.subarray(-4)], [172, 18, 0, 2], 'the A record, served by the main thread')
      table.addHost('frontend', 'db', [IP.parse('172.18.0.3')])
      t.same(
        [...(await askInside(ns, 'db.frontend', 6)).subarray(-4)],
        [172, 18, 0, 3],
        'updates at once',
      )
      const fwd = await askInside(ns, 'out.example', 7)
      t.same([...fwd.subarray(-4)], [192, 0, 2, 44], 'forwarded from inside the namespace')
      t.equal(up.received, 1)

      const before = resolver.stats.queries
      await udpRaw(53, encodeQuery({ name: 'web.frontend' }), 300, '127.0.0.11')
      t.equal(resolver.stats.queries, before, 'nothing reached it from the root namespace')
    },
  )
}
