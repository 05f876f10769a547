// The README's example runs as written and prints what the README says it prints.
import t from 'tap'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

t.test('README example runs and prints what the README shows', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  const shown = /prints\n\n```\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(code && shown, 'README has an example and its output')
  // Import the package under test by path, so the example works before the package is built.
  const file = join(root, 'test', `.readme-example-${process.pid}.ts`)
  writeFileSync(file, code!.replace("from '@libnetwork/types'", "from '../src/index.js'"))
  t.teardown(() => rmSync(file, { force: true }))
  const lines: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) =>
    void lines.push(args.map((a) => (typeof a === 'bigint' ? `${a}n` : String(a))).join(' '))
  try {
    await import(pathToFileURL(file).href)
  } finally {
    console.log = log
  }
  t.same(lines, shown!.trimEnd().split('\n'))
})
