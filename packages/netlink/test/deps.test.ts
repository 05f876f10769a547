// Every package src/ imports is declared in dependencies, and every declared one is imported.
import { readFileSync, readdirSync } from 'node:fs'
import t from 'tap'

t.test('declared dependencies are exactly the imported ones', (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    dependencies?: Record<string, string>
  }
  const dir = new URL('../src/', import.meta.url)
  const imported = new Set<string>()
  for (const f of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
    const text = readFileSync(new URL(f, dir), 'utf8')
    for (const m of text.matchAll(/from '([^'.][^']*)'|import\('([^'.][^']*)'\)/g)) {
      const spec = (m[1] ?? m[2])!
      if (spec.startsWith('node:')) continue
      const parts = spec.split('/')
      imported.add(spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!)
    }
  }
  t.same([...imported].sort(), Object.keys(pkg.dependencies ?? {}).sort())
  t.end()
})
