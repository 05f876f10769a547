/**
 * Garbage collection of sandbox namespaces left behind by a crash: a periodic sweep of the
 * run directory that deletes every namespace whose key the caller no longer knows.
 */
import { BadRequestError } from '@libnetwork/types'
import { deleteNetns, listNetns } from '@libnetwork/netlink'

export interface NamespaceGCOptions {
  /** The sandboxes' run directory. */
  runDir: string
  /** Keys of the sandboxes that are alive now (asked at every sweep). */
  liveKeys: () => Iterable<string>
  /** Time between sweeps, ms (default 60 s). */
  intervalMs?: number
  /** Called with the keys removed by each periodic sweep, and with sweep errors. */
  onSweep?: (removed: string[]) => void
  onError?: (err: unknown) => void
}

export class NamespaceGC {
  private timer: NodeJS.Timeout | undefined
  private readonly intervalMs: number

  constructor(private readonly options: NamespaceGCOptions) {
    if (typeof options?.runDir !== 'string' || typeof options.liveKeys !== 'function') {
      throw new BadRequestError('invalid-gc-options', 'NamespaceGC needs runDir and liveKeys()')
    }
    this.intervalMs = options.intervalMs ?? 60_000
    if (!Number.isInteger(this.intervalMs) || this.intervalMs < 10) {
      throw new BadRequestError(
        'invalid-gc-options',
        `invalid intervalMs ${String(options.intervalMs)}`,
      )
    }
  }

  /** Delete every namespace under the run dir whose key is not live; returns the keys removed. */
  sweep(): string[] {
    const live = new Set(this.options.liveKeys())
    const removed: string[] = []
    for (const key of listNetns({ runDir: this.options.runDir })) {
      if (live.has(key)) continue
      deleteNetns(key, { runDir: this.options.runDir })
      removed.push(key)
    }
    return removed
  }

  get running(): boolean {
    return this.timer !== undefined
  }

  start(): void {
    if (this.timer) return
    this.timer = setInterval(() => {
      try {
        const removed = this.sweep()
        this.options.onSweep?.(removed)
      } catch (err) {
        this.options.onError?.(err)
      }
    }, this.intervalMs)
    this.timer.unref()
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer)
    this.timer = undefined
  }
}
