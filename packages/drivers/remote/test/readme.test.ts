// The README's example runs as written, against the built package (so it never rots).
import t from 'tap'
import { runReadmeExample } from '../../../../tools/test-helpers.mjs'

t.test('README example runs', async (t) => {
  const file = new URL(`../.readme-example-${process.pid}.mts`, import.meta.url).pathname
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), file)
  t.same(lines, ['tiny 02:42:0a:14:00:02 vethe1 10.20.0.1 deleted'], 'prints what the README says')
})
