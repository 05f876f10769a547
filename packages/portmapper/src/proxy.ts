import { spawn, type ChildProcess } from 'node:child_process'
import type dgram from 'node:dgram'
import type net from 'node:net'
import { fileURLToPath } from 'node:url'
import {
  BadRequestError,
  ConflictError,
  IP,
  InternalError,
  NotFoundError,
  TimeoutError,
  UnavailableError,
  type LibnetworkError,
} from '@libnetwork/types'
import type { ChildReply, ChildRequest, ProxyEntrySpec } from './proxy-protocol.js'

/** Upstream's UDP flow idle timeout. */
export const DEFAULT_UDP_IDLE_MS = 90_000

export interface UserlandProxyOptions {
  /** Run the proxy process inside this named network namespace (`ip netns exec`). */
  netns?: string
  /** Close UDP flows idle this long (default 90 s). */
  udpIdleMs?: number
  /** How long to wait for the process to report readiness (default 10 s). */
  startTimeoutMs?: number
  /**
   * V8 flags of the proxy process. Default: semi-spaces of at most 2 MiB, so the young
   * generation cannot grow with traffic (bulk TCP bytes go through the kernel relay and never
   * reach the heap; what JavaScript still relays is small request/response traffic and UDP),
   * and `--single-threaded`: no V8 helper threads (compiling and collecting on the main thread
   * left the process about 2 MiB smaller after traffic, at the same speed).
   */
  nodeFlags?: string[]
  /** Called with errors the process reports after start (a listener failing, the process dying). */
  onError?: (err: LibnetworkError) => void
}

/** What to serve: traffic to hostIP:hostPort is relayed to containerIP:containerPort. */
export interface ProxyTarget {
  protocol: 'tcp' | 'udp'
  hostIP: IP
  hostPort: number
  containerIP: IP
  containerPort: number
}

export interface ProxyStats {
  pid: number
  /** Resident set size of the proxy process in bytes. */
  rss: number
  entries: number
  /** Open TCP connections plus live UDP flows. */
  connections: number
  /** Of the TCP connections, those whose bytes the kernel moves (splice), not the proxy's code. */
  kernelRelays: number
}

/** The id the proxy knows a target by. */
export function proxyId(t: { protocol: string; hostIP: IP; hostPort: number }): string {
  return `${t.protocol}/${t.hostIP.toString()}/${t.hostPort}`
}

function childCommand(): { file: string; execArgv: string[] } {
  const here = fileURLToPath(import.meta.url)
  if (here.endsWith('.ts')) {
    // running from source (tests): keep the TypeScript loader the parent runs with
    return {
      file: here.replace(/proxy\.ts$/, 'proxy-child.ts'),
      execArgv: process.execArgv.filter((a) => /typescript|tsx/.test(a)),
    }
  }
  return { file: here.replace(/proxy\.js$/, 'proxy-child.js'), execArgv: [] }
}

/**
 * One userland proxy process for every published port. Tell it what to serve with `add` (or
 * hand it a socket you bound yourself), stop serving with `remove`.
 */
export class UserlandProxy {
  readonly options: Required<
    Pick<UserlandProxyOptions, 'udpIdleMs' | 'startTimeoutMs' | 'nodeFlags'>
  > &
    UserlandProxyOptions
  #child: ChildProcess | undefined
  #seq = 0
  readonly #pending = new Map<
    number,
    { resolve: (r: ChildReply) => void; reject: (e: Error) => void }
  >()
  readonly #served = new Map<string, ProxyTarget>()

  constructor(options: UserlandProxyOptions = {}) {
    const udpIdleMs = options.udpIdleMs ?? DEFAULT_UDP_IDLE_MS
    if (!Number.isFinite(udpIdleMs) || udpIdleMs <= 0) {
      throw new BadRequestError(
        'invalid-timeout',
        `udpIdleMs must be a positive number, got ${String(udpIdleMs)}`,
      )
    }
    const nodeFlags = options.nodeFlags ?? ['--max-semi-space-size=2', '--single-threaded']
    if (
      !Array.isArray(nodeFlags) ||
      nodeFlags.some((f) => typeof f !== 'string' || !/^--[a-z0-9-]+(=[A-Za-z0-9._-]+)?$/.test(f))
    ) {
      throw new BadRequestError(
        'invalid-node-flags',
        'nodeFlags must be --flag or --flag=value strings',
      )
    }
    this.options = {
      ...options,
      udpIdleMs,
      nodeFlags,
      startTimeoutMs: options.startTimeoutMs ?? 10_000,
    }
  }

  get running(): boolean {
    return this.#child !== undefined
  }

  get pid(): number | undefined {
    return this.#child?.pid
  }

  /** Start the process and wait until it reports readiness. */
  async start(): Promise<void> {
    if (this.#child) return
    const { file, execArgv } = childCommand()
    const argv = [process.execPath, ...this.options.nodeFlags, ...execArgv, file]
    const full =
      this.options.netns === undefined ? argv : ['ip', 'netns', 'exec', this.options.netns, ...argv]
    const child = spawn(full[0]!, full.slice(1), {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'json',
    })
    let stderr = ''
    child.stderr?.on('data', (b: Buffer) => {
      stderr = (stderr + b.toString()).slice(-4000)
    })
    this.#child = child
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill('SIGKILL')
        reject(
          new TimeoutError(
            'proxy-start-timeout',
            `userland proxy not ready after ${this.options.startTimeoutMs} ms`,
          ),
        )
      }, this.options.startTimeoutMs)
      const early = (code: number | null) => {
        clearTimeout(timer)
        reject(
          new UnavailableError(
            'proxy-start-failed',
            `userland proxy exited (${String(code)}) before ready: ${stderr.trim()}`,
          ),
        )
      }
      child.once('exit', early)
      child.once('error', (cause) => {
        clearTimeout(timer)
        reject(
          new UnavailableError(
            'proxy-start-failed',
            `cannot start userland proxy: ${cause.message}`,
            { cause },
          ),
        )
      })
      child.on('message', (msg: ChildReply) => {
        if (msg.type === 'ready') {
          clearTimeout(timer)
          child.off('exit', early)
          resolve()
        } else this.#onReply(msg)
      })
    }).catch((err: unknown) => {
      this.#child = undefined
      throw err
    })
    child.on('exit', (code, signal) => {
      if (this.#child !== child) return
      this.#child = undefined
      const err = new UnavailableError(
        'proxy-exited',
        `userland proxy exited (${String(code ?? signal)}): ${stderr.trim()}`,
      )
      for (const p of this.#pending.values()) p.reject(err)
      this.#pending.clear()
      this.options.onError?.(err)
    })
  }

  #onReply(msg: ChildReply): void {
    if (msg.type === 'fault') {
      this.options.onError?.(
        new InternalError('proxy-fault', `userland proxy: ${msg.id}: ${msg.message}`, {
          details: { id: msg.id, code: msg.code },
        }),
      )
      return
    }
    if (msg.type === 'result' || msg.type === 'stats') {
      const p = this.#pending.get(msg.seq)
      this.#pending.delete(msg.seq)
      p?.resolve(msg)
    }
  }

  async #request(req: ChildRequest, handle?: net.Server | dgram.Socket): Promise<ChildReply> {
    const child = this.#child
    if (!child?.connected)
      throw new UnavailableError('proxy-not-running', 'the userland proxy is not running')
    return new Promise((resolve, reject) => {
      this.#pending.set(req.seq, { resolve, reject })
      const onSent = (err: Error | null) => {
        if (err) {
          this.#pending.delete(req.seq)
          reject(
            new UnavailableError(
              'proxy-ipc-failed',
              `cannot reach the userland proxy: ${err.message}`,
              { cause: err },
            ),
          )
        }
      }
      if (handle) child.send(req, handle as net.Server, onSent)
      else child.send(req, onSent)
    })
  }

  /**
   * Serve a target. With `handle`, the proxy takes over a listening socket (net.Server or a
   * bound dgram socket) the caller already opened, instead of binding one itself.
   */
  async add(
    target: ProxyTarget,
    options: { handle?: net.Server | dgram.Socket } = {},
  ): Promise<void> {
    if (target.protocol !== 'tcp' && target.protocol !== 'udp') {
      throw new BadRequestError(
        'unsupported-protocol',
        `the userland proxy serves tcp and udp, not ${String(target.protocol)}`,
      )
    }
    if (!(target.hostIP instanceof IP) || !(target.containerIP instanceof IP)) {
      throw new BadRequestError('invalid-ip', 'proxy addresses must be IP values')
    }
    const id = proxyId(target)
    const spec: ProxyEntrySpec = {
      id,
      protocol: target.protocol,
      hostIP: target.hostIP.toString(),
      hostPort: target.hostPort,
      containerIP: target.containerIP.toString(),
      containerPort: target.containerPort,
      udpIdleMs: this.options.udpIdleMs,
    }
    const reply = await this.#request({ type: 'add', seq: ++this.#seq, spec }, options.handle)
    if (reply.type === 'result' && !reply.ok) {
      const details = { id, code: reply.code }
      if (reply.code === 'EADDRINUSE' || reply.code === 'EEXIST') {
        throw new ConflictError('port-in-use', `cannot listen on ${id}: ${reply.message ?? ''}`, {
          details,
        })
      }
      throw new UnavailableError(
        'proxy-listen-failed',
        `cannot listen on ${id}: ${reply.message ?? ''}`,
        { details },
      )
    }
    this.#served.set(id, target)
  }

  /** Stop serving a target (closes its listener and connections). */
  async remove(target: { protocol: string; hostIP: IP; hostPort: number }): Promise<void> {
    const id = proxyId(target)
    if (!this.#served.has(id))
      throw new NotFoundError('proxy-entry-not-found', `the proxy does not serve ${id}`, {
        details: { id },
      })
    await this.#request({ type: 'remove', seq: ++this.#seq, id })
    this.#served.delete(id)
  }

  /** What the proxy serves. */
  targets(): ProxyTarget[] {
    return [...this.#served.values()]
  }

  async stats(): Promise<ProxyStats> {
    const reply = await this.#request({ type: 'stats', seq: ++this.#seq })
    if (reply.type !== 'stats')
      throw new InternalError('proxy-bad-reply', 'unexpected reply from the proxy')
    return {
      pid: this.#child?.pid ?? 0,
      rss: reply.rss,
      entries: reply.entries,
      connections: reply.connections,
      kernelRelays: reply.kernelRelays,
    }
  }

  /** Stop the process (every listener closes with it). */
  async stop(): Promise<void> {
    const child = this.#child
    if (!child) return
    this.#child = undefined
    this.#served.clear()
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
    child.disconnect()
    const timer = setTimeout(() => child.kill('SIGKILL'), 2000)
    await exited
    clearTimeout(timer)
  }
}
