// One API server on a unix socket in a scratch folder, for tests: start, a CLI runner against
// it, and teardown (server, then the folder).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ApiServer, createLogger, runCli, type Logger } from '../src/index.js'
import type { NetworkBackend } from '../src/backend.js'

export interface Served {
  socketPath: string
  server: ApiServer
  /** Run the CLI against this server: exit code, standard output and standard error. */
  run: (...argv: string[]) => Promise<{ code: number; out: string; err: string }>
}

export async function serve(
  t: { teardown(fn: () => unknown): void },
  backend: NetworkBackend,
  o: { version?: string; logger?: Logger; stop?: () => Promise<unknown> } = {},
): Promise<Served> {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-dnet-'))
  const socketPath = join(dir, 'api.sock')
  const server = new ApiServer({
    backend,
    logger: o.logger ?? createLogger('error'),
    version: o.version ?? 'test',
    socketPath,
  })
  await server.start()
  t.teardown(async () => {
    await server.stop()
    await o.stop?.()
    rmSync(dir, { recursive: true, force: true })
  })
  const run = async (...argv: string[]) => {
    let out = ''
    let err = ''
    const code = await runCli(
      ['-H', `unix://${socketPath}`, ...argv],
      { out: (s) => (out += s) },
      (s) => (err += s),
      {},
    )
    return { code, out, err }
  }
  return { socketPath, server, run }
}
