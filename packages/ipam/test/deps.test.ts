// Every package the source imports is declared in package.json, and nothing declared is unused.
import t from 'tap'
import { readFileSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

t.test('declared dependencies match imports', (t) => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>
  }
  const imported = new Set<string>()
  for (const f of readdirSync(join(root, 'src'))) {
    if (!f.endsWith('.ts')) continue
    // code only: drop comment lines (doc examples import the package itself)
    const src = readFileSync(join(root, 'src', f), 'utf8')
      .split('\n')
      .filter((l) => !/^\s*(\*|\/\/|\/\*)/.test(l))
      .join('\n')
    for (const m of src.matchAll(/from '([^'.][^']*)'/g)) {
      const spec = m[1]!
      if (spec.startsWith('node:')) continue
      const parts = spec.split('/')
      imported.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!)
    }
  }
  t.same([...imported].sort(), Object.keys(pkg.dependencies ?? {}).sort())
  t.end()
})
