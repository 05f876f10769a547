// The install cases (run by install-*.test.ts): a small package a cherry-picker installs alone
// is packed with the internal packages it needs and installed into a scratch project outside
// the monorepo; its README example is type-checked under strict settings
// (exactOptionalPropertyTypes included) and run from the tarball; the package loads through
// require() too, and nothing native is installed.
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { internalClosure, publishedPackages, root, strictConsumer } from './workspace.js'

const run = promisify(execFile)
const ONLY = process.env.LNT_PACKAGE
const all = publishedPackages()
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')

/** Files under `dir` (recursively) whose name says they are native code. */
function nativeFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.node') || f.endsWith('binding.gyp'))
}

export function installCases(t: Test, names: string[]): void {
  for (const name of names.filter((n) => ONLY === undefined || n === ONLY)) {
    t.test(name, async (t) => {
      const closure = internalClosure(name, all)
      t.ok(closure.length > 0, `${name} is a workspace package`)
      const dir = mkdtempSync(join(tmpdir(), 'lnt-packaging-'))
      t.teardown(() => rmSync(dir, { recursive: true, force: true }))
      const packArgs = ['pack', '--ignore-scripts', '--pack-destination', dir, '--json']
      for (const w of closure) packArgs.push('-w', w.pkg.name)
      const { stdout } = await run('npm', packArgs, { cwd: root, maxBuffer: 16 << 20 })
      const tarballs = (JSON.parse(stdout) as Array<{ filename: string }>).map((p) =>
        join(dir, p.filename.replace(/^@/, '').replace('/', '-')),
      )
      const project = join(dir, 'project')
      await run('mkdir', ['-p', project])
      writeFileSync(
        join(project, 'package.json'),
        JSON.stringify({ name: 'scratch', version: '1.0.0', private: true, type: 'module' }),
      )
      await run(
        'npm',
        ['install', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', ...tarballs],
        { cwd: project, maxBuffer: 16 << 20 },
      )
      const installed = readdirSync(join(project, 'node_modules'), { recursive: true })
        .map(String)
        .filter((f) => f.endsWith('package.json') && f.split('node_modules').length === 1)
      t.comment(`${name}: ${installed.length} package.json files installed`)
      t.same(nativeFiles(join(project, 'node_modules')), [], 'nothing native installed')

      // The README example, type-checked strictly against the installed types, then run.
      const readme = readFileSync(join(closure[0]!.dir, 'README.md'), 'utf8')
      const code = /```ts\n([\s\S]*?)```/.exec(readme)?.[1]
      if (code === undefined) return t.fail('README has no ts example')
      writeFileSync(join(project, 'example.ts'), code)
      writeFileSync(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            ...strictConsumer,
            typeRoots: [join(root, 'node_modules', '@types')],
            types: ['node'],
            outDir: 'out',
          },
          files: ['example.ts'],
        }),
      )
      const check = await run('node', [tsc, '-p', project], { cwd: project }).then(
        () => '',
        (err: Error & { stdout?: string }) => err.stdout ?? err.message,
      )
      t.equal(check, '', 'README example type-checks under strict settings')
      const example = await run('node', [join(project, 'out', 'example.js')], { cwd: project })
      t.ok(example.stdout.length > 0, 'README example runs from the tarball and prints')

      // The same exports through import and through require().
      const keys = `Object.keys(m).sort().join(',')`
      const esm = await run(
        'node',
        ['--input-type=module', '-e', `const m = await import('${name}'); console.log(${keys})`],
        { cwd: project },
      )
      const cjs = await run('node', ['-e', `const m = require('${name}'); console.log(${keys})`], {
        cwd: project,
      })
      t.ok(esm.stdout.trim().length > 0, 'exports something')
      t.equal(cjs.stdout, esm.stdout, 'require() sees the same exports as import')
    })
  }
}
