/**
 * The backends' client libraries are optional peer dependencies: installing this package for
 * the contract, the memory store and the record layer pulls neither lmdb (native) nor etcd3
 * (gRPC, protobufjs). A backend loads its library on first use and, when it is not installed,
 * says which package to install.
 */
import { createRequire } from 'node:module'
import { UnavailableError } from '@libnetwork/types'

/** The optional packages and the ranges this package is tested with. */
export const OPTIONAL_PACKAGES = Object.freeze({ lmdb: '^3.4.0', etcd3: '^1.1.2' })
export type OptionalPackage = keyof typeof OPTIONAL_PACKAGES

const requireHere = createRequire(import.meta.url)
const loaded = new Map<OptionalPackage, unknown>()

/** Whether `err` says that `name` itself (not something it needs) cannot be found. */
function missing(err: unknown, name: string): boolean {
  const e = err as { code?: unknown; message?: unknown } | null
  return (
    e !== null &&
    typeof e === 'object' &&
    e.code === 'MODULE_NOT_FOUND' &&
    typeof e.message === 'string' &&
    e.message.includes(`'${name}'`)
  )
}

/**
 * The module `name`, loaded once. Throws UnavailableError `backend-not-installed` naming the
 * package and its range when it is not installed; any other load failure as it is.
 */
export function loadOptional<T>(
  name: OptionalPackage,
  user: string,
  load: (id: string) => unknown = requireHere,
): T {
  const hit = loaded.get(name)
  if (hit !== undefined) return hit as T
  let mod: unknown
  try {
    mod = load(name)
  } catch (cause) {
    if (!missing(cause, name)) throw cause
    const range = OPTIONAL_PACKAGES[name]
    throw new UnavailableError(
      'backend-not-installed',
      `${user} needs the package ${name}, an optional peer dependency of @libnetwork/datastore: npm install ${name}@'${range}'`,
      { details: { package: name, range }, cause },
    )
  }
  if (load === requireHere) loaded.set(name, mod)
  return mod as T
}
