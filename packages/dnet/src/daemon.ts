import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { dirname } from 'node:path'
import { ConflictError } from '@libnetwork/types'
import { ApiServer } from './api/server.js'
import type { NetworkBackend } from './backend.js'
import type { DaemonConfig } from './config.js'
import type { Logger } from './log.js'

/** The part of the daemon that owns the controller: built from the config, closed at shutdown. */
export interface BackendHandle {
  backend: NetworkBackend
  close(): Promise<void>
}

export type BackendFactory = (config: DaemonConfig, logger: Logger) => Promise<BackendHandle>

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Write the pid file, refusing to start over a live daemon's. */
function claimPidFile(path: string): void {
  mkdirSync(dirname(path), { recursive: true })
  try {
    const old = Number(readFileSync(path, 'utf8').trim())
    if (Number.isInteger(old) && old > 0 && old !== process.pid && processAlive(old)) {
      throw new ConflictError('daemon-running', `another dnet daemon (pid ${old}) owns ${path}`, {
        details: { pid: old, pidFile: path },
      })
    }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
  }
  writeFileSync(path, `${process.pid}\n`, { mode: 0o644 })
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

  constructor(
    readonly config: DaemonConfig,
    private readonly logger: Logger,
    private readonly factory: BackendFactory,
    private readonly version: string,
  ) {}

  async start(): Promise<void> {
    claimPidFile(this.config.pidFile)
    for (const w of unwiredSections(this.config)) this.logger.warn(w.msg, { ...w.fields })
    try {
      mkdirSync(this.config.dataRoot, { recursive: true })
      this.handle = await this.factory(this.config, this.logger)
      this.api = new ApiServer({
        backend: this.handle.backend,
        logger: this.logger,
        version: this.version,
        socketPath: this.config.socket,
        ...(this.config.tcp ? { tcp: this.config.tcp } : {}),
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

  tcpAddress(): { host: string; port: number } | undefined {
    return this.api?.tcpAddress()
  }

  /** Stop serving, close the controller (it keeps kernel state consistent for the next start). */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await this.api?.stop()
      await this.handle?.close()
      rmSync(this.config.pidFile, { force: true })
      this.logger.info('dnet daemon stopped')
    })()
    return this.stopping
  }
}
