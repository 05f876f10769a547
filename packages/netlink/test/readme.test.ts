// The README example runs as written (namespace names swapped for throwaway ones).
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import t from 'tap'
import { deleteNetns, netnsExists } from '../src/index.js'

t.test('the README example creates a veth pair into a new namespace', (t) => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(code, 'README has a TypeScript example')
  const id = randomBytes(3).toString('hex')
  const names = [`lnt-netlink-rh-${id}`, `lnt-netlink-rc-${id}`] as const
  t.teardown(() => {
    for (const n of names) if (netnsExists(n)) deleteNetns(n)
  })
  const file = new URL(`./.readme-${id}.ts`, import.meta.url)
  writeFileSync(file, code!.replaceAll('demo-host', names[0]).replaceAll('demo-ctr', names[1]))
  t.teardown(() => rmSync(file, { force: true }))
  const out = execFileSync('npx', ['tsx', file.pathname], { encoding: 'utf8' })
  t.match(out, /1: lo {2}UP/)
  t.match(out, /2: eth0 veth UP/)
  t.notOk(netnsExists(names[0]), 'the example cleans up after itself')
  t.end()
})
