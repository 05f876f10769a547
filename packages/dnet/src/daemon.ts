import { randomBytes } from 'node:crypto'
import {
  chmodSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs'
import { connect } from 'node:net'
import { dirname, join } from 'node:path'
import { ConflictError } from '@libnetwork/types'
import { ApiServer } from './api/server.js'
import type { NetworkBackend } from './backend.js'
import type { DaemonConfig } from './config.js'
import { lockDir, lockNetns, type HeldLock } from './lock.js'
import type { Logger } from './log.js'
import { checkListeners, loadTls } from './tls.js'

/** The part of the daemon that owns the controller: built from the config, closed at shutdown. */
export interface BackendHandle {
  backend: NetworkBackend
  close(): Promise<void>
}

export type BackendFactory = (config: DaemonConfig, logger: Logger) => Promise<BackendHandle>

/** Make `dir` (created if missing) private to its owner, root: 0700. */
function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  // a shared sticky directory given as a root by mistake (/tmp) keeps its mode
  if ((statSync(dir).mode & 0o1000) === 0) chmodSync(dir, 0o700)
}

/** Files under `dir` lose group and other access (a store written by an older version). */
function privatize(dir: string): void {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name)
    if (e.isSymbolicLink()) continue
    const mode = statSync(p).mode & 0o7777
    if ((mode & 0o077) !== 0) chmodSync(p, mode & ~0o077)
    if (e.isDirectory()) privatize(p)
  }
}

/**
 * This daemon's identity: a random id kept in its data root. The links and namespaces it makes
 * carry it, and what it removes at start is only what carries it.
 */
export function instanceId(dataRoot: string): string {
  const path = join(dataRoot, 'instance-id')
  try {
    const id = readFileSync(path, 'utf8').trim()
    if (/^[0-9a-f]{8}$/.test(id)) return id
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  const id = randomBytes(4).toString('hex')
  writeFileSync(path, `${id}\n`, { mode: 0o600 })
  return id
}

/** Refuse to start over a socket a live server answers on (another daemon's). */
async function checkSocketFree(path: string): Promise<void> {
  const answered = await new Promise<boolean>((resolve) => {
    const c = connect({ path })
    c.once('connect', () => {
      c.destroy()
      resolve(true)
    })
    c.once('error', () => resolve(false))
  })
  if (answered) {
    throw new ConflictError('daemon-running', `another daemon serves the socket ${path}`, {
      details: { socket: path },
    })
  }
}

/**
 * Configuration sections the daemon parses but does not fully act on yet, each with the warning
 * to log at start (so nobody is surprised).
 */
export function unwiredSections(_config: DaemonConfig): Array<{ msg: string; fields: object }> {
  // None today: [cluster] is wired through (announcements out, other hosts' names into the
  // embedded DNS).
  return []
}

/** A running daemon: the API server over a backend, with a pid file. */
export class Daemon {
  private api?: ApiServer
  private handle?: BackendHandle
  private stopping?: Promise<void>
  private locks: HeldLock[] = []

  constructor(
    readonly config: DaemonConfig,
    private readonly logger: Logger,
    private readonly factory: BackendFactory,
    private readonly version: string,
    /** Abstract socket name of the network namespace's lock (tests give their own). */
    private readonly netnsLock?: string,
  ) {}

  /**
   * Take the daemon's locks (its network namespace, data root and exec root), then restore and
   * serve. Another daemon holding any of them is refused before anything is touched.
   */
  async start(): Promise<void> {
    const cfg = this.config
    checkListeners(cfg)
    try {
      privateDir(cfg.dataRoot)
      privateDir(cfg.execRoot)
      // this.locks is filled one by one: a refusal releases those already held
      this.locks.push(await lockNetns(this.netnsLock))
      this.locks.push(lockDir(cfg.dataRoot, 'data root'))
      if (cfg.execRoot !== cfg.dataRoot) this.locks.push(lockDir(cfg.execRoot, 'exec root'))
      await checkSocketFree(cfg.socket)
    } catch (e) {
      await this.releaseLocks()
      throw e
    }
    mkdirSync(dirname(cfg.pidFile), { recursive: true })
    // for people and scripts; the locks above are what keeps a second daemon out
    writeFileSync(cfg.pidFile, `${process.pid}\n`, { mode: 0o644 })
    if (cfg.tcp && !cfg.tls)
      this.logger.warn(
        'INSECURE: the API on TCP has no TLS: every local user who can reach it controls the daemon as root',
        { tcp: `${cfg.tcp.host}:${cfg.tcp.port}` },
      )
    for (const w of unwiredSections(cfg)) this.logger.warn(w.msg, { ...w.fields })
    try {
      // What the backend makes carries the daemon's identity: the bridges' and veths' aliases
      // and the names of the containers' namespaces (`<sandbox prefix><id>-…`).
      const id = instanceId(cfg.dataRoot)
      this.handle = await this.factory(
        { ...cfg, instanceId: id, bridge: { ...cfg.bridge, owner: id } },
        this.logger,
      )
      privatize(cfg.dataRoot)
      this.api = new ApiServer({
        backend: this.handle.backend,
        logger: this.logger,
        version: this.version,
        socketPath: cfg.socket,
        ...(cfg.tcp ? { tcp: cfg.tcp } : {}),
        ...(cfg.tls ? { tls: loadTls(cfg.tls) } : {}),
      })
      await this.api.start()
    } catch (e) {
      await this.stop()
      throw e
    }
    this.logger.info('dnet daemon ready', {
      socket: this.config.socket,
      ...(this.config.tcp ? { tcp: `${this.config.tcp.host}:${this.api.tcpAddress()?.port}` } : {}),
      pid: process.pid,
    })
  }

  private async releaseLocks(): Promise<void> {
    for (const l of this.locks.splice(0).reverse()) await l.release()
  }

  tcpAddress(): { host: string; port: number } | undefined {
    return this.api?.tcpAddress()
  }

  /** Stop serving, close the controller (it keeps kernel state consistent for the next start). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.api?.stop()
      await this.handle?.close()
      if (this.locks.length > 0) rmSync(this.config.pidFile, { force: true })
      await this.releaseLocks()
      this.logger.info('dnet daemon stopped')
    })()
    return this.stopping
  }
}
