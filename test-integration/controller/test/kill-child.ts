// The two sides of the kill -9 tests: a child process runs a controller on a file store and
// kills itself with SIGKILL at a chosen moment; the test waits for it and gets what it printed.
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Test } from 'tap'
import { Controller, oslSandboxOS } from '@libnetwork/controller'
import { bridge } from '@libnetwork/driver-bridge'
import { DefaultIpam } from '@libnetwork/ipam'
import { fileKV } from './file-kv.js'

/** In the child: a controller with the bridge driver on the file store its argv names. */
export function childController(): Promise<Controller> {
  const [ns, prefix, file] = process.argv.slice(2) as [string, string, string]
  return Controller.start({
    drivers: { bridge: bridge({}, { netns: ns }) },
    ipams: { default: () => new DefaultIpam() },
    store: fileKV(file),
    os: oslSandboxOS({ hostNetns: ns }),
    namespacePrefix: prefix,
  })
}

/**
 * In the test: run `script` against the test's host namespace and a fresh store file until it
 * is killed. Resolves with how it ended, what it printed and the store file.
 */
export async function runKilledChild(
  t: Test,
  env: { ns: string; sandboxPrefix: string },
  script: string,
): Promise<{ code: number | null; signal: string | null; out: string; file: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-controller-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  const file = join(dir, 'store') // a directory: the lmdb store's files
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', script, env.ns, env.sandboxPrefix, file],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  )
  t.teardown(() => child.kill('SIGKILL'))
  let out = ''
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
  const [code, signal] = await new Promise<[number | null, string | null]>((r) =>
    child.once('exit', (c, s) => r([c, s])),
  )
  return { code, signal, out, file }
}
