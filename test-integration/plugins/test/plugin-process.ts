// Start test/veth-plugin.mjs as a process in a test host namespace (tests and the benchmark).
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import type { Host, Teardown } from '../../dnet/test/harness.js'

const PLUGIN = fileURLToPath(new URL('./veth-plugin.mjs', import.meta.url))

/** Start the plugin process in the host namespace; resolves once it listens. */
export async function startPlugin(t: Teardown, h: Host, dir: string): Promise<ChildProcess> {
  const child = spawn('nsenter', [`--net=/var/run/netns/${h.ns}`, process.execPath, PLUGIN, dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let err = ''
  child.stderr.on('data', (d: Buffer) => (err += d.toString()))
  t.teardown(() => child.kill('SIGKILL'))
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (c) => reject(new Error(`plugin exited ${c}: ${err}`)))
  })
  return child
}
