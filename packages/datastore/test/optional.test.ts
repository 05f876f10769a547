// The backends' libraries (lmdb, etcd3) are optional peer dependencies: the contract, the memory
// store and the records work without them, and a backend whose library is missing says which
// package to install.
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import t from 'tap'
import { importedPackages } from '../../../tools/test-helpers.mjs'
import { OPTIONAL_PACKAGES, loadOptional } from '../src/optional.js'

const here = dirname(fileURLToPath(import.meta.url))
const pkgDir = join(here, '..')
const pkg = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>
  peerDependencies: Record<string, string>
  peerDependenciesMeta: Record<string, { optional?: boolean }>
  devDependencies: Record<string, string>
}

t.test('dependencies: types only; lmdb and etcd3 are optional peers', async (t) => {
  t.same(Object.keys(pkg.dependencies), ['@libnetwork/types'], 'nothing native or heavy')
  t.same(pkg.peerDependencies, OPTIONAL_PACKAGES, 'the peers and ranges the loader names')
  for (const name of Object.keys(OPTIONAL_PACKAGES)) {
    t.equal(pkg.peerDependenciesMeta[name]?.optional, true, `${name} is optional`)
    t.equal(pkg.devDependencies[name], pkg.peerDependencies[name], `${name} is here for tests`)
  }
  t.same(
    importedPackages(new URL('../src/', import.meta.url)),
    [...Object.keys(pkg.dependencies), ...Object.keys(OPTIONAL_PACKAGES)].sort(),
    'src imports exactly the dependencies and the optional peers',
  )
})

t.test('a missing optional package is a typed error naming it', async (t) => {
  const notFound = (id: string) => {
    const err = new Error(`Cannot find module '${id}'`) as Error & { code: string }
    err.code = 'MODULE_NOT_FOUND'
    throw err
  }
  const err = (() => {
    try {
      loadOptional('lmdb', 'the local store (localStore)', notFound)
    } catch (e) {
      return e as { code?: string; category?: string; message: string; details?: unknown }
    }
    return undefined
  })()
  t.equal(err?.code, 'backend-not-installed')
  t.equal(err?.category, 'unavailable')
  t.match(err?.message, /the local store \(localStore\) needs the package lmdb/)
  t.match(err?.message, /npm install lmdb@'\^3\.4\.0'/)
  t.same(err?.details, { package: 'lmdb', range: '^3.4.0' })
  // A package the optional one needs, missing: that error as it is, not "install etcd3".
  const deeper = (_id: string) => {
    const e = new Error(`Cannot find module '@grpc/grpc-js'`) as Error & { code: string }
    e.code = 'MODULE_NOT_FOUND'
    throw e
  }
  t.throws(() => loadOptional('etcd3', 'the etcd store', deeper), {
    message: /Cannot find module '@grpc\/grpc-js'/,
  })
  t.equal(typeof loadOptional<{ open: unknown }>('lmdb', 'test').open, 'function', 'installed here')
})

// The built package (dist/) copied into a scratch project outside the monorepo with only
// @libnetwork/types beside it, so neither lmdb nor etcd3 can be resolved.
t.test('installed without its optional peers (built package)', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-datastore-peers-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const nm = join(dir, 'node_modules', '@libnetwork')
  mkdirSync(join(nm, 'datastore'), { recursive: true })
  cpSync(join(pkgDir, 'package.json'), join(nm, 'datastore', 'package.json'))
  cpSync(join(pkgDir, 'dist'), join(nm, 'datastore', 'dist'), { recursive: true })
  symlinkSync(join(pkgDir, '..', 'types'), join(nm, 'types'))
  const script = `
    const ds = await import('@libnetwork/datastore')
    const out = {}
    const m = ds.memoryStore()
    await m.put('a/b', new Uint8Array([1]))
    out.memory = [...(await m.get('a/b')).value]
    const code = (fn) => { try { fn(); return 'no error' } catch (e) { return e.code + ': ' + e.message } }
    out.local = code(() => ds.localStore({ path: ${JSON.stringify(join(dir, 'db'))} }))
    out.etcd = code(() => ds.etcdStore({ endpoints: ['http://127.0.0.1:1'] }))
    console.log(JSON.stringify(out))
  `
  const { stdout } = await promisify(execFile)(
    process.execPath,
    ['--input-type=module', '-e', script],
    {
      cwd: dir,
      timeout: 60_000,
      killSignal: 'SIGKILL',
    },
  )
  const out = JSON.parse(stdout) as { memory: number[]; local: string; etcd: string }
  t.same(out.memory, [1], 'the memory store works without either package')
  t.match(out.local, /^backend-not-installed: .*needs the package lmdb.*npm install lmdb@/)
  t.match(out.etcd, /^backend-not-installed: .*needs the package etcd3.*npm install etcd3@/)
})

// The published types, from dist/index.d.ts through every file it reaches: neither optional
// library is named (a user without them would get "cannot find module" from tsc), nor Node's
// Buffer (a user without @types/node would get "cannot find name").
t.test('the published types name neither lmdb, etcd3 nor Buffer', async (t) => {
  const seen = new Set<string>()
  const todo = [join(pkgDir, 'dist', 'index.d.ts'), join(pkgDir, 'dist', 'testing', 'index.d.ts')]
  const offending: string[] = []
  while (todo.length > 0) {
    const file = todo.pop()!
    if (seen.has(file)) continue
    seen.add(file)
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/from '([^']+)'/g)) {
      const spec = m[1]!
      if (spec.startsWith('.')) todo.push(join(dirname(file), spec.replace(/\.js$/, '.d.ts')))
      else if (spec === 'lmdb' || spec === 'etcd3') offending.push(`${file}: ${spec}`)
    }
    if (/\bBuffer\b/.test(text.replace(/\/\*[\s\S]*?\*\/|\/\/.*$/gm, ''))) {
      offending.push(`${file}: Buffer`)
    }
  }
  t.ok(seen.size > 5, `${seen.size} declaration files checked`)
  t.same(offending, [])
})
