// The README's first example must run as written (with a temporary path and the source import).
import { spawnSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'

t.test('README example runs', async (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(code, 'the README has a TypeScript example')
  const dir = t.testdir()
  const src = fileURLToPath(new URL('../src/index.js', import.meta.url))
  const file = `${dir}/example.ts`
  writeFileSync(
    file,
    code!
      .replace("from '@libnetwork/datastore'", `from '${src}'`)
      .replace('/var/lib/libnetwork/local', `${dir}/db`),
  )
  const res = spawnSync(process.execPath, ['--import', 'tsx', file], {
    encoding: 'utf8',
    timeout: 60_000,
  })
  t.equal(res.status, 0, res.stderr)
  t.match(res.stdout, /key: 'docker\/network\/v1\.0\/x'/, 'the CAS conflict is printed')
  t.match(res.stdout, /create docker\/network\/v1\.0\/network\/n1/, 'the watch saw the record')
})
