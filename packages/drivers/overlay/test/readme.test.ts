// The README's example runs as written against the built package (namespace names swapped for
// throwaway lnt-overlay-* ones, deleted at teardown if the example did not). Runs as root.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import t from 'tap'
import { runReadmeExample } from '../../../../tools/test-helpers.mjs'

t.test('README example runs', async (t) => {
  const tag = randomBytes(3).toString('hex')
  const names = {
    'demo-host': `lnt-overlay-rh-${tag}`,
    'demo-ctr': `lnt-overlay-rc-${tag}`,
    'demo-ov-': `lnt-overlay-ro-${tag}-`,
  }
  const mine = () =>
    execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
      .split('\n')
      .map((l) => l.split(' ')[0]!)
      .filter((n) => n.includes(tag))
  t.teardown(() => {
    for (const n of mine()) execFileSync('ip', ['netns', 'del', n], { stdio: 'ignore' })
  })
  const file = new URL(`../.readme-example-${process.pid}.mts`, import.meta.url).pathname
  const lines = await runReadmeExample(new URL('../README.md', import.meta.url), file, (code) =>
    Object.entries(names).reduce((c, [from, to]) => c.replaceAll(from, to), code),
  )
  t.same(lines, [
    '02:42:0a:2a:00:02 [{"srcName":"oveeeeeeeeeeeee","dstPrefix":"eth","inSandbox":true}]',
    '4242 1450',
  ])
  t.same(mine(), [], 'the example cleans up after itself')
})
