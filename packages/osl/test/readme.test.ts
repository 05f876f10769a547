// The README example runs as written, with its host side and run dir redirected to
// throwaway ones (it would otherwise use this machine's own namespace).
import { execFileSync } from 'node:child_process'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { listNetns } from '@libnetwork/netlink'
import { linkNames, rand, testOsl } from './helpers.js'

t.test('the README example joins and leaves a sandbox', (t) => {
  const { hostName, hostPath, runDir } = testOsl(t)
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(code, 'README has a TypeScript example')
  const patched = code!
    .replace('Netlink.open()', `Netlink.open({ netns: '${hostName}' })`)
    .replace(
      `{ runDir: '/var/run/demo-sandboxes' }`,
      `{ runDir: '${runDir}', hostNetns: '${hostPath}' }`,
    )
  t.not(patched, code, 'example patched')
  const file = new URL(`./.readme-${rand()}.ts`, import.meta.url)
  writeFileSync(file, patched)
  t.teardown(() => rmSync(file, { force: true }))
  const out = execFileSync('npx', ['tsx', file.pathname], { encoding: 'utf8' })
  t.match(out, /^eth0 /)
  t.match(out, /srcName: 'tmpc0ffee'/)
  t.same(listNetns({ runDir }), [], 'sandbox destroyed')
  t.same(linkNames(hostPath), ['lo'], 'veth pair gone')
  t.end()
})
