// The published packages of the monorepo, read from the root package.json's workspaces.
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('../../../', import.meta.url))

export interface PackageJson {
  name: string
  version: string
  private?: boolean
  license?: string
  engines?: { node?: string }
  publishConfig?: { access?: string }
  repository?: { type?: string; url?: string; directory?: string }
  dependencies?: Record<string, string>
  peerDependencies?: Record<string, string>
  files?: string[]
}

export interface Workspace {
  /** Path relative to the repository root, e.g. `packages/drivers/bridge`. */
  path: string
  dir: string
  pkg: PackageJson
}

/** Every workspace package that is published (not private). */
export function publishedPackages(): Workspace[] {
  const rootPkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    workspaces: string[]
  }
  const out: Workspace[] = []
  for (const glob of rootPkg.workspaces) {
    if (!glob.endsWith('/*')) throw new Error(`unexpected workspace glob ${glob}`)
    const parent = glob.slice(0, -2)
    for (const name of readdirSync(join(root, parent)).sort()) {
      const file = join(root, parent, name, 'package.json')
      if (!existsSync(file)) continue
      const pkg = JSON.parse(readFileSync(file, 'utf8')) as PackageJson
      if (pkg.private === true) continue
      out.push({ path: `${parent}/${name}`, dir: join(root, parent, name), pkg })
    }
  }
  return out
}

/** `name` and the internal (@libnetwork) packages it depends on, transitively. */
export function internalClosure(name: string, all: Workspace[]): Workspace[] {
  const byName = new Map(all.map((w) => [w.pkg.name, w]))
  const seen = new Map<string, Workspace>()
  const visit = (n: string): void => {
    const w = byName.get(n)
    if (w === undefined || seen.has(n)) return
    seen.set(n, w)
    for (const d of Object.keys(w.pkg.dependencies ?? {})) visit(d)
  }
  visit(name)
  return [...seen.values()]
}

/** The compiler settings of a strict consumer of our packages (both packaging type checks). */
export const strictConsumer = {
  target: 'ES2022',
  module: 'NodeNext',
  moduleResolution: 'NodeNext',
  strict: true,
  exactOptionalPropertyTypes: true,
  noUncheckedIndexedAccess: true,
}
