// The README's example runs as written inside a namespace this test creates (its `demo`
// swapped for it, the package imported by path), prints what its comments say, and leaves
// no chain of its own behind.
import { spawnSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { inNetns, makeNetns, skipReason } from './netns.js'

t.test('README example programs, verifies and removes its chain', { skip: skipReason }, (t) => {
  const ns = makeNetns(t)
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(code, 'the README has a TypeScript example')
  const patched = code!
    .replace("from '@libnetwork/iptables'", "from '../src/index.js'")
    .replace("{ netns: 'demo' }", `{ netns: '${ns}' }`)
  t.not(patched.indexOf(ns), -1, 'the example works in the test namespace')
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  writeFileSync(file, patched)
  t.teardown(() => rmSync(file, { force: true }))
  const res = spawnSync(process.execPath, ['--import', 'tsx', file], {
    encoding: 'utf8',
    timeout: 120_000,
  })
  t.equal(res.status, 0, res.stderr)
  const lines = res.stdout.trimEnd().split('\n')
  t.match(lines[0], /^(nft|legacy)$/, 'the backend')
  t.equal(lines[1], '{ ok: true, problems: [] }', 'verify found everything in place')
  t.notMatch(inNetns(ns, ['iptables-save', '-t', 'nat']), /LNT-PORTS/, 'remove() cleaned up')
  t.end()
})
