// The README's example runs as written (importing the package by path) and prints what its
// comments say.
import t from 'tap'
import { runReadmeExample } from '../../../tools/test-helpers.mjs'

t.test('README example runs and prints what its comments say', async (t) => {
  const readme = new URL('../README.md', import.meta.url)
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  const lines = await runReadmeExample(readme, file, (code) =>
    code.replace("from '@libnetwork/portallocator'", "from '../src/index.js'"),
  )
  t.equal(lines.length, 4)
  t.equal(lines[0], '8080')
  t.match(lines[1], /^\d+$/, 'a port of the dynamic range')
  t.equal(lines[2], '5000')
  t.match(lines[3], /^port-already-allocated /, 'the clash is a typed error with its code')
})
