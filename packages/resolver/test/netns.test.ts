// Privileged: the resolver serving 127.0.0.11:53 inside a network namespace of its own, from a
// worker thread that entered it. Creates lnt-resolver-<random> and deletes it in teardown.
import t from 'tap'
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { IP } from '@libnetwork/types'
import { RecordTable, startResolverWorker } from '../src/index.js'
import { encodeQuery, udpRaw } from './helpers.js'

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
}
