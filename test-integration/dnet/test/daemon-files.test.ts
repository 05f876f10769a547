// A stale pid file blocks nothing; the roots and the store are private; a kill -9 leaves no
// sandbox folder behind after the restart.
import t from 'tap'
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Host, sh } from './harness.js'

t.test('stale pid file, private roots, and no sandbox folder left after kill -9', async (t) => {
  const h = await Host.create(t)
  mkdirSync(join(h.dir, 'run'), { recursive: true })
  writeFileSync(join(h.dir, 'run', 'dnet.pid'), '1\n')
  await h.start(['--default-network', ''])
  const mode = (p: string) => statSync(join(h.dir, p)).mode & 0o777
  t.equal(mode('lib'), 0o700, 'data root 0700')
  t.equal(mode('run'), 0o700, 'exec root 0700')
  const store = join(h.dir, 'lib', 'local-kv')
  const files = readdirSync(store, { recursive: true, withFileTypes: true }).filter((e) =>
    e.isFile(),
  )
  t.ok(files.length > 0, 'the store has files')
  for (const f of files)
    t.equal(
      statSync(join(f.parentPath, f.name)).mode & 0o077,
      0,
      `${f.name}: no group/other access`,
    )

  await h.ok('network', 'create', '--subnet', '10.77.0.0/24', 'app')
  await h.ok('container', 'create', 'c1')
  await h.ok('container', 'create', 'c2')
  const sbs = JSON.parse(await h.ok('container', 'ls', '--json')) as any[]
  const dir = join(h.dir, 'run', 'sandboxes')
  t.equal(readdirSync(dir).length, 2, 'two sandbox folders')
  await h.stop('SIGKILL')
  // c1's namespace is lost while the daemon is down
  const c1 = sbs.find((s) => s.containerId === 'c1')
  await sh(['ip', 'netns', 'del', c1.key.split('/').at(-1)])
  await h.start(['--default-network', ''])
  const c2 = sbs.find((s) => s.containerId === 'c2')
  t.same(readdirSync(dir), [c2.id], "only c2's sandbox folder is left")
  t.match(await h.ok('container', 'ls'), /c2/, 'c2 is still there')
  t.notMatch(await h.ok('container', 'ls'), /\bc1\b/, 'c1 is gone')
})
