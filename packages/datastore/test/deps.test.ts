// Every package src/ imports is declared in dependencies or (lmdb, etcd3: loaded on first use)
// in optional peerDependencies, and every declared one is imported.
import { readFileSync } from 'node:fs'
import t from 'tap'
import { declaredDependencies, importedPackages } from '../../../tools/test-helpers.mjs'

t.test('declared dependencies are exactly the imported ones', async (t) => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
    peerDependencies?: Record<string, string>
  }
  t.same(
    importedPackages(new URL('../src/', import.meta.url)),
    [
      ...declaredDependencies(new URL('../package.json', import.meta.url)),
      ...Object.keys(pkg.peerDependencies ?? {}),
    ].sort(),
  )
})
