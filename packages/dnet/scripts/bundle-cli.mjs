// Bundles the CLI (dist/cli/main.js and the few files it imports) into one CommonJS file,
// dist/cli.cjs, which bin/dnet.js loads with require(). A CLI command is a whole Node start;
// one CommonJS file skips the ES module loader's set-up and per-file work: 5-9 ms of the
// 35-45 ms a command takes. Runs after tsc in `npm run build`.
import { build } from 'esbuild'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const dir = fileURLToPath(new URL('..', import.meta.url))
const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
await build({
  absWorkingDir: dir,
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/cli.cjs',
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  // The CLI imports only node: built-ins and its own files; anything else is a mistake.
  packages: 'external',
  // `dnet --version` without reading package.json at run time (src/cli/version.ts).
  define: { __DNET_VERSION__: JSON.stringify(version) },
  logLevel: 'warning',
})
