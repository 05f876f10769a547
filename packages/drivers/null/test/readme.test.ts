// The README's example runs as written (importing the package by path) and prints the join
// result its last comment shows.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { runReadmeExample } from '../../../../tools/test-helpers.mjs'

t.test('README example runs and prints what its comment shows', async (t) => {
  const readme = new URL('../README.md', import.meta.url)
  const shown = /console\.log\(JSON\.stringify\(joined\)\)\n\/\/ (.*)\n/.exec(
    readFileSync(readme, 'utf8'),
  )?.[1]
  t.ok(shown, 'the README shows the output')
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  const lines = await runReadmeExample(readme, file, (code) =>
    code.replace("from '@libnetwork/driver-null'", "from '../src/index.js'"),
  )
  t.same(lines, [shown])
})
