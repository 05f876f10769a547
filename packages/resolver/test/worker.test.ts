import t from 'tap'
import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { IP } from '@libnetwork/types'
import { RecordTable, startResolverWorker } from '../src/index.js'
import { FakeUpstream, udp, tcp } from './helpers.js'

const hook = new URL('./fixtures/hook.ts', import.meta.url).href

t.test('a worker serves the table, mirrors updates, runs the namespace hook first', async (t) => {
  const dir = t.testdir({})
  const table = new RecordTable()
  table.addHost('net', 'web', [IP.parse('172.31.0.2')])
  const up = await new FakeUpstream('192.0.2.9').start()
  t.teardown(() => up.stop())
  const w = await startResolverWorker({
    table,
    address: '127.0.0.1',
    port: 0,
    upstreams: [{ address: '127.0.0.1', port: up.port }],
    enterNamespace: { module: hook, name: 'record', args: [join(dir, 'ran.json')] },
  })
  t.teardown(() => w.stop())
  const ran = JSON.parse(await readFile(join(dir, 'ran.json'), 'utf8'))
  t.equal(ran.isMainThread, false, 'hook ran inside the worker thread')
  t.ok(ran.threadId > 0)
  t.equal(w.address, '127.0.0.1')
  t.same(
    (await udp(w.port, { name: 'web' })).answers.map((a) => a.data),
    ['172.31.0.2'],
  )
  table.addHost('net', 'db', [IP.parse('172.31.0.3')])
  await w.sync()
  t.same(
    (await tcp(w.port, { name: 'db.net' })).answers.map((a) => a.data),
    ['172.31.0.3'],
  )
  t.same(
    (await udp(w.port, { name: 'elsewhere.example' })).answers.map((a) => a.data),
    ['192.0.2.9'],
    'forwarded from the worker',
  )
  await w.update([{ op: 'remove-host', network: 'net', name: 'web' }])
  t.equal((await udp(w.port, { name: 'web' })).answers[0]?.data, '192.0.2.9', 'now forwarded')
  await t.rejects(w.update([{ op: 'add-host', network: 'net', name: 'bad name', ips: [] }]), {
    code: 'invalid-name',
  })
  await t.rejects(w.setUpstreams(['a', 'b', 'c', 'd']), { code: 'too-many-upstreams' })
  const stats = await w.stats()
  t.ok(stats.queries >= 4 && stats.forwarded >= 2)
  await w.stop()
  await t.rejects(w.sync(), { code: 'resolver-worker-exited' })
})

t.test('a failing hook or bind fails the start, with the cause', async (t) => {
  await t.rejects(
    startResolverWorker({
      address: '127.0.0.1',
      port: 0,
      enterNamespace: { module: hook, name: 'fail' },
    }),
    { name: 'UnavailableError', message: /cannot enter namespace/ },
  )
  await t.rejects(
    startResolverWorker({
      address: '127.0.0.1',
      port: 0,
      enterNamespace: { module: hook, name: 'none' },
    }),
    { message: /no function export none/ },
  )
  await t.rejects(startResolverWorker({ address: '192.0.2.55', port: 0 }), {
    name: 'UnavailableError',
    code: 'listen-failed',
  })
})
