// Shared helpers for the privileged tests: throwaway namespaces and iproute2's JSON view.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readlinkSync } from 'node:fs'
import { createNetns, deleteNetns, netnsExists } from '../src/index.js'

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

/** A new named namespace `lnt-netlink-<tag>-<random>`, deleted in teardown even on failure. */
export function testNetns(t: Teardown, tag = 'ns'): string {
  const name = `lnt-netlink-${tag}-${randomBytes(3).toString('hex')}`
  createNetns(name)
  t.teardown(() => {
    if (netnsExists(name)) deleteNetns(name)
  })
  return name
}

/** `ip -n <ns> -j <args>` parsed: the independent view of the kernel state. */
export function ipJson<T = Record<string, unknown>[]>(ns: string, ...args: string[]): T {
  const out = execFileSync('ip', ['-n', ns, '-j', ...args], { encoding: 'utf8' })
  return JSON.parse(out || '[]') as T
}

export function ip(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' })
}

/** The inode link of this thread's network namespace, to check it was restored. */
export function threadNetns(): string {
  return readlinkSync('/proc/thread-self/ns/net')
}

/** `bridge -n <ns> -j <args>` parsed (FDB entries live there). */
export function bridgeJson<T = Record<string, unknown>[]>(ns: string, ...args: string[]): T {
  const out = execFileSync('bridge', ['-n', ns, '-j', ...args], { encoding: 'utf8' })
  return JSON.parse(out || '[]') as T
}

interface WorkerJob {
  netns: string
  role: 'udp-server' | 'udp-client' | 'tcp-server' | 'tcp-client'
  address: string
  port: number
  message?: string
}

/** Start a worker thread that enters `job.netns` and serves or sends there. */
export async function nsWorker(job: WorkerJob): Promise<{ reply?: string; stop(): Promise<void> }> {
  const { Worker } = await import('node:worker_threads')
  const w = new Worker(new URL('./fixtures/ns-worker.mjs', import.meta.url), {
    execArgv: [],
    workerData: job,
  })
  const first = await new Promise<{ reply?: string; listening?: boolean; error?: string }>(
    (resolve, reject) => {
      w.once('message', resolve)
      w.once('error', reject)
      w.once('exit', (code) => reject(new Error(`worker exited with ${code}`)))
    },
  )
  if (first.error) throw new Error(first.error)
  return {
    ...(first.reply !== undefined ? { reply: first.reply } : {}),
    async stop() {
      w.postMessage('stop')
      await w.terminate()
    },
  }
}
