// Test helpers shared by the packages: which packages a package's source imports, and what a
// README's TypeScript example prints when it runs. Tests import this file by relative path,
// as benchmarks do with tools/bench.mjs.
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/** Package names (`pkg` or `@scope/pkg`) imported by the .ts files under `srcDir`, sorted. */
export function importedPackages(srcDir) {
  const dir = srcDir instanceof URL ? fileURLToPath(srcDir) : srcDir
  const names = new Set()
  for (const f of readdirSync(dir, { recursive: true })) {
    if (!String(f).endsWith('.ts')) continue
    // Code only: doc comments show examples that import the package itself.
    const code = readFileSync(join(dir, String(f)), 'utf8')
      .split('\n')
      .filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l))
      .join('\n')
    for (const m of code.matchAll(/from '([^'.][^']*)'|import\('([^'.][^']*)'\)/g)) {
      const spec = m[1] ?? m[2]
      if (spec.startsWith('node:')) continue
      const parts = spec.split('/')
      names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0])
    }
  }
  return [...names].sort()
}

/** The names in package.json's `dependencies`, sorted. */
export function declaredDependencies(packageJson) {
  const pkg = JSON.parse(readFileSync(packageJson, 'utf8'))
  return Object.keys(pkg.dependencies ?? {}).sort()
}

/**
 * Run the first ```ts block of a README and return what it printed with console.log, one
 * string per call (bigints as `12n`). The code is written to `file` (removed afterwards),
 * after `transform` if given.
 */
export async function runReadmeExample(readme, file, transform = (code) => code) {
  const text = readFileSync(readme, 'utf8')
  const code = /```ts\n([\s\S]*?)```/.exec(text)?.[1]
  if (code === undefined) throw new Error(`${String(readme)} has no ts example`)
  writeFileSync(file, transform(code))
  const lines = []
  const log = console.log
  console.log = (...args) =>
    void lines.push(args.map((a) => (typeof a === 'bigint' ? `${a}n` : String(a))).join(' '))
  try {
    await import(pathToFileURL(file).href)
  } finally {
    console.log = log
    rmSync(file, { force: true })
  }
  return lines
}
