// The README's example runs as written, against the built package (so it never rots).
import t from 'tap'
import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

t.test('README example runs', async (t) => {
  const readme = readFileSync(join(root, 'README.md'), 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
  t.ok(code, 'README has a ts example')
  const file = join(root, `.readme-example-${process.pid}.mts`)
  writeFileSync(file, code!)
  t.teardown(() => rmSync(file, { force: true }))
  const lines: string[] = []
  const log = console.log
  console.log = (...args: unknown[]) => void lines.push(args.map(String).join(' '))
  try {
    await import(pathToFileURL(file).href)
  } finally {
    console.log = log
  }
  t.same(lines, ['4096 4097 10000 16773117 52'], 'prints what the README says')
})
