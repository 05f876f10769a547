import { readFileSync } from 'node:fs'

// The bundled CLI (dist/cli.cjs) has its version written in at build time
// (scripts/bundle-cli.mjs); from source or from dist/ it reads package.json.
declare const __DNET_VERSION__: string | undefined

/** The version of this dnet package (what `dnet --version` prints). */
export function cliVersion(): string {
  if (typeof __DNET_VERSION__ === 'string') return __DNET_VERSION__
  try {
    const pkg = JSON.parse(
      readFileSync(new URL('../../package.json', import.meta.url), 'utf8'),
    ) as { version?: unknown }
    return typeof pkg.version === 'string' ? pkg.version : 'unknown'
  } catch {
    return 'unknown'
  }
}
