import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Daemon, createLogger, defaults } from '../src/index.js'
import { unwiredSections } from '../src/daemon.js'
import { FakeBackend } from './fake-backend.js'

t.test('a [cluster] section is wired: the daemon starts without an unwired warning', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dnet-daemon-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const cfg = {
    ...defaults(join(dir, 'run'), join(dir, 'lib')),
    cluster: { bindAddress: '0.0.0.0', bindPort: 7946, join: ['10.0.0.2:7946'] },
  }
  const lines: Array<Record<string, unknown>> = []
  const logger = createLogger('info', (l) => lines.push(JSON.parse(l) as Record<string, unknown>))
  const d = new Daemon(
    cfg,
    logger,
    async () => ({ backend: new FakeBackend(), close: async () => {} }),
    'test',
    // its own namespace lock: the test runs beside others in this namespace
    `lnt-dnet-daemon-${process.pid}`,
  )
  await d.start()
  await d.stop()
  const warned = lines.filter((l) => l.level === 'warn')
  t.same(
    warned.filter((l) => l.section === 'cluster'),
    [],
    'no warning about [cluster]',
  )
  t.same(unwiredSections(cfg), [], 'nothing left unwired with the section')
  t.same(unwiredSections(defaults()), [], 'no warning without the section')
})
