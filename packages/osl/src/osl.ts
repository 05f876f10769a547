/**
 * The OS layer: creates, restores and destroys sandboxes (network namespaces under a run
 * directory) and moves interfaces between the host namespace and them.
 */
import { closeSync, openSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { BadRequestError, NotFoundError } from '@libnetwork/types'
import {
  createNetns,
  deleteNetns,
  listNetns,
  netnsExists,
  type NetnsRef,
} from '@libnetwork/netlink'
import { NamespaceGC } from './gc.js'
import { type NetlinkFactory, type NetlinkOps, realNetlink } from './ops.js'
import { LinkReaper } from './reaper.js'
import { Sandbox } from './sandbox.js'

export const DEFAULT_SANDBOX_DIR = '/var/run/libnetwork/netns'

export interface OslOptions {
  /** Where sandbox namespaces are bind-mounted (default /var/run/libnetwork/netns). */
  runDir?: string
  /**
   * The namespace interfaces come from and go back to (default: this process's,
   * `/proc/self/ns/net`). Tests and benchmarks use a throwaway namespace here.
   */
  hostNetns?: string
  /** Kernel access (default: @libnetwork/netlink). Inject to wrap or fake. */
  netlink?: NetlinkFactory
  /**
   * How long an interface left to its destroyed sandbox's namespace may take to vanish before
   * its veth's host-side end is deleted directly (default 5000 ms).
   */
  releaseTimeoutMs?: number
}

export class Osl {
  readonly runDir: string
  private readonly hostNetns: NetnsRef
  private readonly factory: NetlinkFactory
  private hostOps: NetlinkOps | undefined
  private readonly reaper: LinkReaper

  constructor(options: OslOptions = {}) {
    this.runDir = options.runDir ?? DEFAULT_SANDBOX_DIR
    this.hostNetns = options.hostNetns ?? '/proc/self/ns/net'
    this.factory = options.netlink ?? realNetlink
    this.reaper = new LinkReaper(
      {
        has: (index) => this.host.findLink(index) !== undefined,
        path: options.hostNetns ?? '/proc/self/ns/net',
      },
      options.releaseTimeoutMs,
    )
  }

  private get host(): NetlinkOps {
    this.hostOps ??= this.factory(this.hostNetns, { runDir: this.runDir })
    return this.hostOps
  }

  /** The nsfs path of a sandbox key. */
  path(key: string): string {
    if (typeof key !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/.test(key)) {
      throw new BadRequestError(
        'invalid-sandbox-key',
        `invalid sandbox key ${JSON.stringify(key)}`,
        { details: { key } },
      )
    }
    return join(this.runDir, key)
  }

  /** Create a sandbox: a new namespace at `<runDir>/<key>` with loopback up. */
  createSandbox(key: string, options: { loopbackUp?: boolean } = {}): Sandbox {
    const path = this.path(key)
    createNetns(key, { runDir: this.runDir })
    let nl: NetlinkOps | undefined
    try {
      nl = this.factory(path, { runDir: this.runDir })
      if (options.loopbackUp ?? true) nl.setLink('lo', { up: true })
      return new Sandbox(key, path, nl, this.host, this.hostNetns, this.runDir, this.reaper)
    } catch (err) {
      nl?.close()
      deleteNetns(key, { runDir: this.runDir })
      throw err
    }
  }

  /** Reopen a sandbox that already exists (after a restart); its interfaces are adopted. */
  restoreSandbox(key: string): Sandbox {
    const path = this.path(key)
    if (!netnsExists(key, { runDir: this.runDir })) {
      throw new NotFoundError(
        'sandbox-not-found',
        `sandbox ${key} does not exist under ${this.runDir}`,
        { details: { key, path } },
      )
    }
    closeSync(openSync(path, 'r'))
    const nl = this.factory(path, { runDir: this.runDir })
    const sb = new Sandbox(key, path, nl, this.host, this.hostNetns, this.runDir, this.reaper)
    sb.adopt(nl.links())
    return sb
  }

  /**
   * Delete the namespace of `key` without opening it: a sandbox left by an earlier run, or a
   * file a crash left half-deleted (unmounted but not removed), which cannot be opened as a
   * namespace any more. NotFoundError when there is nothing under that key.
   */
  removeSandbox(key: string): void {
    this.path(key)
    deleteNetns(key, { runDir: this.runDir })
  }

  /**
   * Whether the file of `key` is no namespace any more: a delete interrupted between the
   * unmount and the file's removal (a kill) leaves a plain file, on the run dir's own device.
   * False when there is no such key.
   */
  isStale(key: string): boolean {
    const path = this.path(key)
    try {
      return statSync(path).dev === statSync(this.runDir).dev
    } catch {
      return false
    }
  }

  /** Keys of the sandboxes under the run dir. */
  sandboxKeys(): string[] {
    return listNetns({ runDir: this.runDir })
  }

  /** A collector of sandboxes left behind by a crash (call `start()` for periodic sweeps). */
  gc(options: {
    liveKeys: () => Iterable<string>
    intervalMs?: number
    onSweep?: (removed: string[]) => void
    onError?: (err: unknown) => void
  }): NamespaceGC {
    return new NamespaceGC({ ...options, runDir: this.runDir })
  }

  /** Resolves when every interface retired so far (`Sandbox.retireInterface`) is deleted. */
  settled(): Promise<void> {
    return this.reaper.settled()
  }

  /** Close the host-side socket (queued deletions still finish; `settled()` awaits them). */
  close(): void {
    this.hostOps?.close()
    this.hostOps = undefined
  }
}
