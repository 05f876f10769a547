// What `npm publish` would put in each tarball, and the metadata people rely on when they
// install it: a licence file, source maps whose sources ship, public access, the Node version
// that `require()` of ESM needs. (No `repository` field yet: the public address is not decided.)
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, posix } from 'node:path'
import { publishedPackages, root } from './workspace.js'

interface PackResult {
  name: string
  files: Array<{ path: string }>
}

const workspaces = publishedPackages()
const packed = new Map(
  (
    JSON.parse(
      execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--workspaces'], {
        cwd: root,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        maxBuffer: 64 * 1024 * 1024,
      }),
    ) as PackResult[]
  ).map((r) => [r.name, new Set(r.files.map((f) => f.path))]),
)
const licence = readFileSync(join(root, 'LICENSE'), 'utf8')

t.ok(workspaces.length >= 20, `found ${workspaces.length} published packages`)

for (const w of workspaces) {
  t.test(w.pkg.name, async (t) => {
    const files = packed.get(w.pkg.name)
    if (files === undefined) return t.fail('npm pack listed no files')
    for (const f of ['LICENSE', 'README.md', 'package.json', 'dist/index.js', 'dist/index.d.ts'])
      t.ok(files.has(f), `ships ${f}`)
    t.equal(readFileSync(join(w.dir, 'LICENSE'), 'utf8'), licence, 'LICENSE is the root licence')
    t.same(
      [...files].filter((f) => /^(test|bench|\.tap|node_modules)\//.test(f)),
      [],
      'no tests, benchmarks or tap output',
    )
    // Every source map points only at files that ship.
    const missing: string[] = []
    for (const f of files) {
      if (!f.endsWith('.map')) continue
      const map = JSON.parse(readFileSync(join(w.dir, f), 'utf8')) as { sources: string[] }
      for (const s of map.sources) {
        const target = posix.normalize(posix.join(posix.dirname(f), s))
        if (!files.has(target)) missing.push(`${f} -> ${target}`)
      }
    }
    t.same(missing, [], 'source maps resolve inside the tarball')
    t.equal(w.pkg.license, 'Apache-2.0')
    t.equal(w.pkg.publishConfig?.access, 'public', 'a scoped package publishes public')
    t.equal(w.pkg.engines?.node, '>=20.19', 'require() of ESM needs Node 20.19')
  })
}
