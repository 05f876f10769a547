// The README's example runs as written, with the host's file and the container's file swapped
// for ones in a test directory, and prints what its comments say.
import { readFileSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { runReadmeExample } from '../../../tools/test-helpers.mjs'

t.test('README example builds and writes a container resolv.conf', async (t) => {
  const dir = t.testdir()
  writeFileSync(`${dir}/host.conf`, 'nameserver 192.0.2.53\nsearch host.example\n')
  const readme = new URL('../README.md', import.meta.url)
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  const lines = await runReadmeExample(readme, file, (code) =>
    code
      .replace("from '@libnetwork/resolvconf'", "from '../src/index.js'")
      .replace(
        'readHostResolvConf()',
        `readHostResolvConf({ path: ${JSON.stringify(`${dir}/host.conf`)} })`,
      )
      .replace("'/tmp/resolv.conf'", JSON.stringify(`${dir}/resolv.conf`)),
  )
  t.same(lines, ['192.0.2.53', 'written'])
  const written = readFileSync(`${dir}/resolv.conf`, 'utf8')
  t.match(written, /^nameserver 127\.0\.0\.11$/m, 'the embedded DNS server is the nameserver')
  t.match(written, /^search corp\.example$/m)
  t.match(written, /^options .*timeout:2/m)
})
