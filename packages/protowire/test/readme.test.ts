// The README's example runs as written and prints what the README says it prints.
import t from 'tap'
import { runReadmeExample } from '../../../tools/test-helpers.mjs'

t.test('README example runs', async (t) => {
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), file, (code) =>
    code.replace("from '@libnetwork/protowire'", "from '../src/index.js'"),
  )
  t.same(lines, [
    '0a0b31302e302e302e322f323410ac021a01611a0162',
    '10.0.0.2/24',
    '300',
    'a,b',
    'peer.truncated',
  ])
})
