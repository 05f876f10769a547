// The README's example runs as written (its file moved to a test directory) and prints the
// records its comments describe.
import t from 'tap'
import { runReadmeExample } from '../../../tools/test-helpers.mjs'

t.test('README example runs and prints the records', async (t) => {
  const dir = t.testdir()
  const readme = new URL('../README.md', import.meta.url)
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  const lines = await runReadmeExample(readme, file, (code) =>
    code
      .replace("from '@libnetwork/etchosts'", "from '../src/index.js'")
      .replace("'/tmp/hosts'", JSON.stringify(`${dir}/hosts`)),
  )
  t.equal(lines.length, 1)
  const records = lines[0]!.split(',')
  t.ok(records.includes('172.17.0.2 web.corp.example web'), 'the container itself')
  t.ok(records.includes('10.0.0.5 db'), 'the extra host')
  t.notOk(
    records.some((r) => r.includes('api')),
    'api was added, moved and deleted',
  )
  t.ok(records.includes('127.0.0.1 localhost'), 'the defaults')
})
