// The README's seed flow runs as written against a "host" namespace this test creates: the
// bridge driver and the sandboxes work there, the sandbox files go to a test directory, and
// the controller stops at the end. It prints the endpoint's MAC address the README shows.
import { execFileSync, spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'

const skip = process.getuid?.() === 0 ? false : 'needs root to create network namespaces'

function namespaces(prefix: string): string[] {
  const out = execFileSync('ip', ['-j', 'netns', 'list'], { encoding: 'utf8' }).trim()
  return (JSON.parse(out || '[]') as { name: string }[])
    .map((n) => n.name)
    .filter((n) => n.startsWith(prefix))
}

t.test('README example joins a container to a bridge network', { skip }, (t) => {
  const ns = `lnt-controller-rd-${randomBytes(3).toString('hex')}`
  const dir = mkdtempSync(join(tmpdir(), `${ns}-`))
  t.teardown(() => {
    for (const n of namespaces(ns)) execFileSync('ip', ['netns', 'del', n])
    rmSync(dir, { recursive: true, force: true })
  })
  execFileSync('ip', ['netns', 'add', ns])
  execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 10.99.0.2\n')

  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(code, 'the README has a TypeScript example')
  const edits: [string, string][] = [
    ["from '@libnetwork/controller'", "from '../src/index.js'"],
    ['bridge()', `bridge({}, { netns: '${ns}' })`],
    ['oslSandboxOS()', `oslSandboxOS({ hostNetns: '${ns}' }), namespacePrefix: '${ns}-sb-'`],
    [
      "serviceDiscovery({ dir: '/run/libnetwork/sandboxes' })",
      `serviceDiscovery({ dir: '${dir}/sandboxes', hostResolvConf: '${dir}/resolv.conf' })`,
    ],
  ]
  let patched = code!
  for (const [from, to] of edits) {
    t.ok(patched.includes(from), `the example has ${from}`)
    patched = patched.replace(from, to)
  }
  const file = new URL(`.readme-example-${process.pid}.ts`, import.meta.url).pathname
  writeFileSync(file, `${patched}\nawait controller.stop()\n`)
  t.teardown(() => rmSync(file, { force: true }))
  // `--import=tsx` as one argument: child processes (the port proxy) keep it.
  const res = spawnSync(process.execPath, ['--import=tsx', file], {
    encoding: 'utf8',
    timeout: 180_000,
  })
  t.equal(res.status, 0, res.stderr)
  const shown = /console\.log\('MAC address', .*\) \/\/ (\S+)/.exec(code!)?.[1]
  t.ok(shown, 'the README shows the MAC address')
  t.equal(res.stdout.trim(), `MAC address ${shown}`)
  t.ok(namespaces(`${ns}-sb-`).length > 0, 'the sandbox namespace was made beside the host one')
  t.end()
})
