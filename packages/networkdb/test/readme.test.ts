// The README's example runs as written (two nodes on loopback, the package imported by path)
// and prints the entry the second node saw and its owner.
import t from 'tap'
import { runReadmeExample } from '../../../tools/test-helpers.mjs'

t.test('README example replicates an entry between two nodes', async (t) => {
  const readme = new URL('../README.md', import.meta.url)
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  const lines = await runReadmeExample(readme, file, (code) =>
    code.replace("from '@libnetwork/networkdb'", "from '../src/index.js'"),
  )
  t.same(lines, ['create ep1 10.0.0.2 from node-a', 'node-a'])
})
