// The README's example runs as written (the package imported by path) and its server answers
// `web` with the address the comment promises, asked through node's own DNS client.
import t from 'tap'
import { runReadmeExample } from '../../../tools/test-helpers.mjs'

t.test('README example serves the name it registers', async (t) => {
  const readme = new URL('../README.md', import.meta.url)
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  const ask = [
    "const dns = new (await import('node:dns')).promises.Resolver({ timeout: 2000, tries: 2 })",
    'dns.setServers([`127.0.0.1:${port}`])',
    "console.log((await dns.resolve4('web')).join(','))",
    'await resolver.stop()',
  ].join('\n')
  let replaced = false
  const lines = await runReadmeExample(readme, file, (code) => {
    const out = code
      .replace("from '@libnetwork/resolver'", "from '../src/index.js'")
      .replace('await resolver.stop()', ask)
    replaced = out.includes("resolve4('web')")
    return out
  })
  t.ok(replaced, 'the example stops its resolver as expected')
  t.equal(lines.length, 2)
  t.match(lines[0], /^dig @127\.0\.0\.1 -p \d+ web$/)
  t.equal(lines[1], '172.18.0.2')
})
