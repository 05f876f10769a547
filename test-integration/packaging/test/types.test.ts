// The published type definitions of every package compile in a consumer's strictest setting:
// strict, exactOptionalPropertyTypes, noUncheckedIndexedAccess, and skipLibCheck off (so the
// .d.ts files themselves are checked, not only what the consumer's code touches).
import t from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { publishedPackages, root, strictConsumer } from './workspace.js'

const run = promisify(execFile)

t.test('every package type-checks as a strict consumer sees it', async (t) => {
  const names = publishedPackages().map((w) => w.pkg.name)
  t.ok(names.length >= 20, `${names.length} packages`)
  const dir = mkdtempSync(join(tmpdir(), 'lnt-packaging-types-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }))
  writeFileSync(
    join(dir, 'consumer.ts'),
    names.map((n, i) => `import * as m${i} from '${n}'\nvoid m${i}\n`).join(''),
  )
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        ...strictConsumer,
        skipLibCheck: false,
        noEmit: true,
        types: ['node'],
      },
      files: ['consumer.ts'],
    }),
  )
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const out = await run('node', [tsc, '-p', dir], { cwd: dir, maxBuffer: 16 << 20 }).then(
    () => '',
    (err: Error & { stdout?: string }) => err.stdout ?? err.message,
  )
  t.equal(out, '', 'no type errors')
})
