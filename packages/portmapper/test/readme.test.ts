// The README's example runs as written inside a "host" namespace this test creates (its
// `demo-host` swapped for it, the package imported by path): the restored mappings are the
// ones it published, and stopping leaves no chain and no proxy behind.
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { skipReason } from './fixtures/topology.js'

t.test('README example maps, restores and stops', { skip: skipReason }, (t) => {
  const ns = `lnt-portmapper-r-${randomBytes(3).toString('hex')}`
  execFileSync('ip', ['netns', 'add', ns])
  t.teardown(() => execFileSync('ip', ['netns', 'del', ns]))
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(code, 'the README has a TypeScript example')
  const patched = code!
    .replace("from '@libnetwork/portmapper'", "from '../src/index.js'")
    .replaceAll("'demo-host'", `'${ns}'`)
  t.equal(patched.split(ns).length, 3, 'iptables and the proxy work in the test namespace')
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  writeFileSync(file, patched)
  t.teardown(() => rmSync(file, { force: true }))
  // `--import=tsx` as one argument: the proxy's child process keeps it and loads TypeScript.
  const res = spawnSync(process.execPath, ['--import=tsx', file], {
    encoding: 'utf8',
    timeout: 120_000,
  })
  t.equal(res.status, 0, res.stderr)
  t.match(res.stdout.trim(), /^\[ 'tcp 8080', 'udp \d+' \]$/, 'both mappings came back')
  const rules = execFileSync('ip', ['netns', 'exec', ns, 'iptables-save'], { encoding: 'utf8' })
  t.notMatch(rules, /LNT-PORTS/, 'stop() removed the chains')
  const pids = execFileSync('ip', ['netns', 'pids', ns], { encoding: 'utf8' }).trim()
  t.equal(pids, '', 'no proxy process is left in the namespace')
  t.end()
})
