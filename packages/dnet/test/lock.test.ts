// A daemon holds its locks for its life: a second one for the same network namespace, data root
// or exec root is refused before its backend (restore, rule rebuilds) ever runs; a stale pid
// file or a dead holder blocks nothing.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ConflictError } from '@libnetwork/types'
import { Daemon, createLogger, defaults, type DaemonConfig } from '../src/index.js'
import { lockDir, lockNetns } from '../src/lock.js'
import { FakeBackend } from './fake-backend.js'

const quiet = createLogger('error', () => undefined)

function tmp(t: Test): string {
  const dir = mkdtempSync(join(tmpdir(), 'dnet-lock-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A daemon over a fake backend that counts how often its backend was built. */
function daemon(cfg: DaemonConfig, lock: string, built: { n: number }): Daemon {
  return new Daemon(
    cfg,
    quiet,
    async (c) => {
      built.n++
      // what a store does: a file in the data root, created with the usual umask
      writeFileSync(join(c.dataRoot, 'store'), 'x', { mode: 0o644 })
      return { backend: new FakeBackend(), close: async () => {} }
    },
    'test',
    lock,
  )
}

const lockName = () => `lnt-dnet-${randomBytes(4).toString('hex')}`

t.test('a second daemon on the same data root is refused before its backend runs', async (t) => {
  const dir = tmp(t)
  const lock = lockName()
  const built = { n: 0 }
  const a = daemon(defaults(join(dir, 'run-a'), join(dir, 'lib')), lock, built)
  await a.start()
  t.teardown(() => a.stop())
  // another namespace lock: only the data root is shared
  const b = daemon(defaults(join(dir, 'run-b'), join(dir, 'lib')), lockName(), built)
  await t.rejects(b.start(), {
    code: 'daemon-running',
    message: new RegExp(`pid ${process.pid}\\b.*data root ${join(dir, 'lib')}`),
  })
  t.equal(built.n, 1, 'the second backend was never built')
  t.ok(existsSync(join(dir, 'run-a', 'dnet.sock')), 'the first socket is still there')
  t.equal(readFileSync(join(dir, 'run-a', 'dnet.pid'), 'utf8').trim(), String(process.pid))
  t.notOk(existsSync(join(dir, 'run-b', 'dnet.pid')), 'no pid file written by the refused one')
  await a.stop()
  const c = daemon(defaults(join(dir, 'run-b'), join(dir, 'lib')), lockName(), built)
  await c.start()
  t.equal(built.n, 2, 'once the first stopped, the data root is free')
  await c.stop()
})

t.test('a second daemon on the same exec root is refused', async (t) => {
  const dir = tmp(t)
  const built = { n: 0 }
  const a = daemon(defaults(join(dir, 'run'), join(dir, 'lib-a')), lockName(), built)
  await a.start()
  t.teardown(() => a.stop())
  const b = daemon(defaults(join(dir, 'run'), join(dir, 'lib-b')), lockName(), built)
  await t.rejects(b.start(), { code: 'daemon-running', message: /exec root/ })
  t.equal(built.n, 1)
  t.ok(existsSync(join(dir, 'run', 'dnet.sock')), 'the first socket is untouched')
})

t.test('a second daemon of the same network namespace is refused', async (t) => {
  const dir = tmp(t)
  const lock = lockName()
  const built = { n: 0 }
  const a = daemon(defaults(join(dir, 'run-a'), join(dir, 'lib-a')), lock, built)
  await a.start()
  t.teardown(() => a.stop())
  const b = daemon(defaults(join(dir, 'run-b'), join(dir, 'lib-b')), lock, built)
  await t.rejects(b.start(), {
    code: 'daemon-running',
    message: /another dnet daemon runs in this network namespace/,
  })
  t.equal(built.n, 1)
  t.ok(ConflictError.isInstance(await b.start().catch((e: unknown) => e)), 'a ConflictError')
  // the refused daemon left the data root it could lock free again
  const c = daemon(defaults(join(dir, 'run-c'), join(dir, 'lib-b')), lockName(), built)
  await c.start()
  await c.stop()
})

t.test('a socket another server answers on is not taken over', async (t) => {
  const dir = tmp(t)
  const built = { n: 0 }
  const a = daemon(defaults(join(dir, 'run-a'), join(dir, 'lib-a')), lockName(), built)
  await a.start()
  t.teardown(() => a.stop())
  const cfg = { ...defaults(join(dir, 'run-b'), join(dir, 'lib-b')), socket: a.config.socket }
  await t.rejects(daemon(cfg, lockName(), built).start(), {
    code: 'daemon-running',
    message: /serves the socket/,
  })
  t.equal(built.n, 1)
})

t.test('a stale pid file does not block a start', async (t) => {
  const dir = tmp(t)
  mkdirSync(join(dir, 'run'))
  writeFileSync(join(dir, 'run', 'dnet.pid'), '1\n')
  const built = { n: 0 }
  const d = daemon(defaults(join(dir, 'run'), join(dir, 'lib')), lockName(), built)
  await d.start()
  t.equal(readFileSync(join(dir, 'run', 'dnet.pid'), 'utf8').trim(), String(process.pid))
  await d.stop()
  t.notOk(existsSync(join(dir, 'run', 'dnet.pid')), 'removed at stop')
})

t.test('a lock held by a process that dies is free again', async (t) => {
  const dir = tmp(t)
  // flock(1) takes the same flock(2) lock and holds it while cat (which does not inherit it)
  // reads its stdin, a pipe that closes with this test
  const holder = spawn('flock', ['-n', '-o', join(dir, 'dnet.lock'), 'cat'], {
    stdio: ['pipe', 'ignore', 'ignore'],
  })
  t.teardown(() => holder.kill('SIGKILL'))
  const refused = async () => {
    try {
      const l = lockDir(dir, 'data root')
      await l.release()
      return false
    } catch (e) {
      return (e as { code?: string }).code === 'daemon-running'
    }
  }
  // wait until flock(1) holds it (it may take a moment to start)
  while (!(await refused())) {
    if (holder.exitCode !== null) throw new Error(`flock exited ${holder.exitCode}`)
    await new Promise((r) => setTimeout(r, 20))
  }
  t.ok(await refused(), 'refused while the holder lives')
  const gone = new Promise((r) => holder.once('exit', r))
  holder.kill('SIGKILL')
  await gone
  const l = lockDir(dir, 'data root')
  t.pass('taken once the holder died')
  await l.release()
})

t.test('the abstract socket lock is released with the daemon', async (t) => {
  const name = lockName()
  const a = await lockNetns(name)
  await t.rejects(lockNetns(name), { code: 'daemon-running' })
  await a.release()
  const b = await lockNetns(name)
  await b.release()
})

t.test('data and exec roots are private, and so are the store files', async (t) => {
  const dir = tmp(t)
  // an older version made them 0755 and the store 0644
  mkdirSync(join(dir, 'lib'), { mode: 0o755 })
  mkdirSync(join(dir, 'lib', 'local-kv'), { mode: 0o755 })
  writeFileSync(join(dir, 'lib', 'local-kv', 'data.mdb'), 'x', { mode: 0o644 })
  const d = daemon(defaults(join(dir, 'run'), join(dir, 'lib')), lockName(), { n: 0 })
  await d.start()
  t.teardown(() => d.stop())
  const mode = (p: string) => statSync(join(dir, p)).mode & 0o777
  t.equal(mode('lib'), 0o700, 'data root 0700')
  t.equal(mode('run'), 0o700, 'exec root 0700')
  t.equal(mode('lib/local-kv'), 0o700, 'store directory 0700')
  t.equal(mode('lib/local-kv/data.mdb'), 0o600, 'an existing store file 0600')
  t.equal(mode('lib/store'), 0o600, 'a store file made at start 0600')
  t.equal(mode('lib/dnet.lock'), 0o600, 'lock file 0600')
  t.equal(mode('run/dnet.sock') & 0o007, 0, 'socket: nothing for others')
})

t.test('the backend gets the instance id, kept in the data root across restarts', async (t) => {
  const dir = tmp(t)
  const seen: Array<[string | undefined, string | undefined]> = []
  const run = async (dataRoot: string) => {
    const d = new Daemon(
      defaults(join(dir, 'run'), join(dir, dataRoot)),
      quiet,
      async (c) => {
        seen.push([c.instanceId, c.bridge.owner])
        return { backend: new FakeBackend(), close: async () => {} }
      },
      'test',
      lockName(),
    )
    await d.start()
    await d.stop()
  }
  await run('lib')
  await run('lib')
  await run('lib-2')
  const [a, b, c] = seen
  t.match(a![0], /^[0-9a-f]{8}$/)
  t.equal(a![1], a![0], 'the bridge owner is the instance id')
  t.same(b, a, 'the same after a restart')
  t.equal(readFileSync(join(dir, 'lib', 'instance-id'), 'utf8').trim(), a![0])
  t.not(c![0], a![0], 'another data root, another daemon')
})

t.test('a sticky shared directory given as a root keeps its mode', async (t) => {
  const dir = tmp(t)
  mkdirSync(join(dir, 'shared'), { mode: 0o1777 })
  chmodSync(join(dir, 'shared'), 0o1777)
  const d = daemon(defaults(join(dir, 'shared'), join(dir, 'lib')), lockName(), { n: 0 })
  await d.start()
  await d.stop()
  t.equal(statSync(join(dir, 'shared')).mode & 0o7777, 0o1777)
  t.equal(statSync(join(dir, 'lib')).mode & 0o777, 0o700)
})
