// Runs the README example against the source, so the documented code keeps working.
import t from 'tap'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..')

t.test('README example runs', async (t) => {
  const readme = readFileSync(join(pkg, 'README.md'), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(code, 'found the example')
  const dir = join(pkg, '.tap', 'readme')
  mkdirSync(dir, { recursive: true })
  const file = join(dir, 'example.ts')
  writeFileSync(file, code!.replace("from '@libnetwork/gossip'", "from '../../src/index.js'"))
  const logs: string[] = []
  const orig = console.log
  console.log = (...a: unknown[]) => logs.push(a.map(String).join(' '))
  try {
    await import(pathToFileURL(file).href)
    // the example waits for nothing after sending; give the messages a moment to arrive
  } finally {
    console.log = orig
  }
  t.ok(
    logs.some((l) => l.startsWith('a sees node-b')),
    'join event printed',
  )
  t.ok(
    logs.some((l) => l === 'b got hello over TCP'),
    'reliable message delivered',
  )
})
