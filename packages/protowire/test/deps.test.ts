// Every package src/ imports is declared in dependencies, and every declared one is imported.
import t from 'tap'
import { declaredDependencies, importedPackages } from '../../../tools/test-helpers.mjs'

t.test('declared dependencies are exactly the imported ones', async (t) => {
  t.same(
    importedPackages(new URL('../src/', import.meta.url)),
    declaredDependencies(new URL('../package.json', import.meta.url)),
  )
})
