// The README's example runs as written against the built package (namespace names swapped for
// throwaway lnt-macvlan-* ones, deleted at teardown if the example did not).
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { runReadmeExample } from '../../../../tools/test-helpers.mjs'

t.test('README example runs', async (t) => {
  const tag = randomBytes(3).toString('hex')
  const names = { 'demo-host': `lnt-macvlan-rh-${tag}`, 'demo-ctr': `lnt-macvlan-rc-${tag}` }
  t.teardown(() => {
    for (const n of Object.values(names)) {
      try {
        execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' })
      } catch {
        // the example deleted it
      }
    }
  })
  const file = new URL(`../.readme-example-${process.pid}.mts`, import.meta.url).pathname
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), file, (code) =>
    Object.entries(names).reduce((c, [from, to]) => c.replaceAll(from, to), code),
  )
  t.same(lines, [
    '02:42:c0:a8:01:0a 192.168.1.1 [{"srcName":"mve1","dstPrefix":"eth","inSandbox":true}]',
    'true',
  ])
  const left = execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
  t.notOk(left.includes(names['demo-host']), 'the example cleans up after itself')
})
