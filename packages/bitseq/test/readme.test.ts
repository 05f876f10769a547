// The README's example runs as written, against the built package (so it never rots).
import t from 'tap'
import { runReadmeExample } from '../../../tools/test-helpers.mjs'

t.test('README example runs', async (t) => {
  const file = new URL(`../.readme-example-${process.pid}.mts`, import.meta.url).pathname
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), file)
  t.same(lines, ['true 16777214 5', 'true 1000'], 'prints what the README says')
})
