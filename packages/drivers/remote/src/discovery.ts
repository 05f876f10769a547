import { readFile, readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { BadRequestError, NotImplementedError } from '@libnetwork/types'

/** Where plugins are looked for. Tests point these at temp directories. */
export interface DiscoveryOptions {
  /** Directories of plugin sockets (`<name>.sock`); default `/run/docker/plugins`. */
  socketDirs?: readonly string[]
  /**
   * Directories of spec files (`<name>.spec`: a URL; `<name>.json`: `{"Addr": …}`); default
   * `/etc/docker/plugins` then `/usr/lib/docker/plugins`.
   */
  specDirs?: readonly string[]
}

export const DEFAULT_SOCKET_DIRS: readonly string[] = ['/run/docker/plugins']
export const DEFAULT_SPEC_DIRS: readonly string[] = [
  '/etc/docker/plugins',
  '/usr/lib/docker/plugins',
]

/** How to reach a plugin. */
export type PluginAddress =
  | { name: string; protocol: 'unix'; socketPath: string; source: string }
  | { name: string; protocol: 'tcp'; host: string; port: number; source: string }

/** A plugin's address as a URL (`unix:///run/docker/plugins/x.sock`, `tcp://127.0.0.1:8080`). */
export function addressUrl(a: PluginAddress): string {
  if (a.protocol === 'unix') return `unix://${a.socketPath}`
  return `tcp://${a.host.includes(':') ? `[${a.host}]` : a.host}:${a.port}`
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

function checkName(name: string): void {
  if (!NAME.test(name) || name.includes('..')) {
    throw new BadRequestError(
      'plugin-invalid-name',
      `invalid plugin name ${JSON.stringify(name)}`,
      {
        details: { name },
      },
    )
  }
}

/** `<dir>/<name><ext>` and `<dir>/<name>/<name><ext>`, in that order (Docker's layout). */
function candidates(dir: string, name: string, ext: string): string[] {
  return [join(dir, name + ext), join(dir, name, name + ext)]
}

/**
 * Find a plugin by name: a socket first, then `.spec` and `.json` files, in directory order.
 * `undefined` when there is none; a malformed spec file is a BadRequestError
 * (`plugin-bad-spec`), a TLS address a NotImplementedError (`plugin-tls-unsupported`).
 */
export async function findPlugin(
  name: string,
  opts: DiscoveryOptions = {},
): Promise<PluginAddress | undefined> {
  checkName(name)
  for (const dir of opts.socketDirs ?? DEFAULT_SOCKET_DIRS) {
    for (const p of candidates(dir, name, '.sock')) {
      const st = await stat(p).catch(() => undefined)
      if (st?.isSocket()) return { name, protocol: 'unix', socketPath: p, source: p }
    }
  }
  for (const dir of opts.specDirs ?? DEFAULT_SPEC_DIRS) {
    for (const p of [...candidates(dir, name, '.spec'), ...candidates(dir, name, '.json')]) {
      const text = await readFile(p, 'utf8').catch(() => undefined)
      if (text === undefined) continue
      return p.endsWith('.json') ? parseJsonSpec(name, p, text) : parseSpecUrl(name, p, text.trim())
    }
  }
  return undefined
}

/** Every plugin name the directories offer (sockets and spec files), sorted, without repeats. */
export async function listPlugins(opts: DiscoveryOptions = {}): Promise<string[]> {
  const names = new Set<string>()
  const scan = async (dir: string, exts: string[], depth: number): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => [])
    for (const e of entries) {
      if (e.isDirectory() && depth > 0) {
        await scan(join(dir, e.name), exts, depth - 1)
        continue
      }
      const ext = exts.find((x) => e.name.endsWith(x))
      if (ext === undefined) continue
      if (ext === '.sock' && !e.isSocket()) continue
      const name = e.name.slice(0, -ext.length)
      if (NAME.test(name)) names.add(name)
    }
  }
  for (const dir of opts.socketDirs ?? DEFAULT_SOCKET_DIRS) await scan(dir, ['.sock'], 1)
  for (const dir of opts.specDirs ?? DEFAULT_SPEC_DIRS) await scan(dir, ['.spec', '.json'], 1)
  return [...names].sort()
}

function badSpec(path: string, why: string): BadRequestError {
  return new BadRequestError('plugin-bad-spec', `plugin spec ${path}: ${why}`, {
    details: { path },
  })
}

/** A `.spec` file: one URL, `unix:///path`, `tcp://host:port` (or `http://`). */
export function parseSpecUrl(name: string, source: string, text: string): PluginAddress {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw badSpec(source, `${JSON.stringify(text)} is not a URL with a protocol`)
  }
  switch (url.protocol) {
    case 'unix:': {
      const socketPath = decodeURIComponent(url.pathname)
      if (socketPath === '' || socketPath === '/') throw badSpec(source, 'no socket path')
      return { name, protocol: 'unix', socketPath, source }
    }
    case 'tcp:':
    case 'http:': {
      const port = Number(url.port || 80)
      const host = url.hostname.replace(/^\[(.*)\]$/, '$1')
      if (host === '') throw badSpec(source, 'no host')
      return { name, protocol: 'tcp', host, port, source }
    }
    case 'https:':
      throw new NotImplementedError(
        'plugin-tls-unsupported',
        `plugin spec ${source}: TLS plugin addresses are not supported`,
        { details: { path: source } },
      )
    default:
      throw badSpec(source, `unknown protocol ${url.protocol.slice(0, -1)}`)
  }
}

/** A `.json` spec: `{"Name": …, "Addr": "<url>", "TLSConfig": …}`. */
function parseJsonSpec(name: string, source: string, text: string): PluginAddress {
  let spec: unknown
  try {
    spec = JSON.parse(text)
  } catch {
    throw badSpec(source, 'malformed JSON')
  }
  const addr = (spec as { Addr?: unknown } | null)?.Addr
  if (typeof addr !== 'string' || addr === '') throw badSpec(source, 'no Addr')
  return parseSpecUrl(name, source, addr.trim())
}
