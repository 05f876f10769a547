// Every package src/ imports is declared in dependencies, and every declared one is imported —
// except the store backends, which @libnetwork/datastore loads on first use (its optional peer
// dependencies): the daemon uses both stores, so it declares them for datastore to find.
import t from 'tap'
import { readFileSync } from 'node:fs'
import { declaredDependencies, importedPackages } from '../../../tools/test-helpers.mjs'

const peers = Object.keys(
  (
    JSON.parse(readFileSync(new URL('../../datastore/package.json', import.meta.url), 'utf8')) as {
      peerDependencies: Record<string, string>
    }
  ).peerDependencies,
).sort()

t.test('the store backends datastore loads are declared', async (t) => {
  t.same(peers, ['etcd3', 'lmdb'])
  const declared = declaredDependencies(new URL('../package.json', import.meta.url))
  for (const p of peers) t.ok(declared.includes(p), `dnet declares ${p}`)
})

t.test(
  'declared dependencies are exactly the imported ones, besides the store backends',
  async (t) => {
    t.same(
      importedPackages(new URL('../src/', import.meta.url)),
      declaredDependencies(new URL('../package.json', import.meta.url)).filter(
        (d: string) => !peers.includes(d),
      ),
    )
  },
)
