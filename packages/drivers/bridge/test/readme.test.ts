// The README's example (on the fakes) runs as written and prints what the README says.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { runReadmeExample } from '../../../../tools/test-helpers.mjs'

t.test('README example runs and prints what the README shows', async (t) => {
  const readme = new URL('../README.md', import.meta.url)
  const shown = /prints\n\n```\n([\s\S]*?)```/.exec(readFileSync(readme, 'utf8'))?.[1]
  t.ok(shown, 'the README shows the output')
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  const lines = await runReadmeExample(readme, file, (code) =>
    code
      .replace("from '@libnetwork/driver-bridge/testing'", "from '../src/testing/index.js'")
      .replace("from '@libnetwork/driver-bridge'", "from '../src/index.js'"),
  )
  t.same(lines.join('\n').split('\n'), shown!.trimEnd().split('\n'))
})
