import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { UnavailableError } from '@libnetwork/types'

export interface EtcdServerOptions {
  /** The etcd binary; default `/usr/bin/etcd` (Debian package etcd-server). */
  binary?: string
  /** How long to wait for the server to report healthy; default 20 s. */
  startTimeoutMs?: number
}

/** A throw-away single-node etcd on free loopback ports with a temporary data dir. */
export interface EtcdServer {
  /** Client URL, e.g. `http://127.0.0.1:41234`. */
  readonly endpoint: string
  readonly clientPort: number
  readonly peerPort: number
  readonly dataDir: string
  /** Stop the process and remove the data dir. */
  stop(): Promise<void>
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer()
    srv.unref()
    srv.on('error', reject)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0
      srv.close(() => resolve(port))
    })
  })
}

const live = new Set<ChildProcess>()
let exitHookInstalled = false

function installExitHook(): void {
  if (exitHookInstalled) return
  exitHookInstalled = true
  // A test run that dies without teardown must not leave etcd servers behind.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL')
  })
}

/** Start etcd for tests and benchmarks; never on the default ports 2379/2380. */
export async function startEtcd(opts: EtcdServerOptions = {}): Promise<EtcdServer> {
  let lastError: unknown
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await startOnce(opts)
    } catch (err) {
      lastError = err // most likely a port taken between probe and bind: try other ports
    }
  }
  throw lastError
}

async function startOnce(opts: EtcdServerOptions): Promise<EtcdServer> {
  installExitHook()
  const clientPort = await freePort()
  let peerPort = await freePort()
  while (peerPort === clientPort) peerPort = await freePort()
  const dataDir = await mkdtemp(join(tmpdir(), 'lnt-datastore-etcd-'))
  const endpoint = `http://127.0.0.1:${clientPort}`
  const peer = `http://127.0.0.1:${peerPort}`
  const child = spawn(
    opts.binary ?? '/usr/bin/etcd',
    [
      '--name=lnt',
      `--data-dir=${dataDir}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=lnt=${peer}`,
      '--initial-cluster-state=new',
      '--logger=zap',
      '--log-level=error',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  )
  live.add(child)
  let stderr = ''
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000)
  })
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => resolve(code)),
  )
  let stopped = false
  const stop = async (): Promise<void> => {
    if (!stopped) {
      stopped = true
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000)
        await exited
        clearTimeout(timer)
      }
      live.delete(child)
    }
    await rm(dataDir, { recursive: true, force: true })
  }
  const deadline = Date.now() + (opts.startTimeoutMs ?? 20_000)
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop()
      throw new UnavailableError(
        'etcd-start-failed',
        `etcd exited while starting: ${stderr.trim()}`,
      )
    }
    try {
      const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1000) })
      const body = (await res.json()) as { health?: string }
      if (res.ok && body.health === 'true') break
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop()
      throw new UnavailableError(
        'etcd-start-failed',
        `etcd did not become healthy: ${stderr.trim()}`,
      )
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  return { endpoint, clientPort, peerPort, dataDir, stop }
}
