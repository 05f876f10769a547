/**
 * Locks a daemon holds for its whole life, taken before it touches anything: one per network
 * namespace (an abstract unix socket, which the kernel scopes to the namespace) and one per
 * directory it owns (flock(2) on `<dir>/dnet.lock`). The kernel drops both when the process
 * dies, however it dies: a stale file can never block a start.
 */
import { closeSync, openSync, readFileSync, ftruncateSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import { createServer, type Server } from 'node:net'
import { join } from 'node:path'
import type koffiModule from 'koffi'
import { ConflictError, UnavailableError } from '@libnetwork/types'

const require = createRequire(import.meta.url)
type Koffi = typeof koffiModule

/** Abstract socket name of the per-namespace lock (shown by `ss -xl` as `@libnetwork-dnet`). */
export const NETNS_LOCK_NAME = 'libnetwork-dnet'
/** File name of the per-directory lock. */
export const LOCK_FILE = 'dnet.lock'

const LOCK_EX = 2
const LOCK_NB = 4
const EWOULDBLOCK = 11

let flockFn: ((fd: number, op: number) => number) | undefined
let koffi: Koffi | undefined

function flock(fd: number, op: number): { ok: boolean; errno: number } {
  if (!flockFn) {
    // The prebuilt binary where it usually sits (as @libnetwork/netlink loads it), else the
    // entry file.
    try {
      koffi = require(`koffi/build/koffi/${process.platform}_${process.arch}/koffi.node`) as Koffi
    } catch {
      koffi = require('koffi') as Koffi
    }
    flockFn = koffi.load('libc.so.6').func('int flock(int, int)') as (
      a: number,
      b: number,
    ) => number
  }
  const r = flockFn(fd, op)
  return { ok: r === 0, errno: r === 0 ? 0 : koffi!.errno() }
}

/** A held lock; `release` lets the next daemon in. */
export interface HeldLock {
  release(): Promise<void>
}

/**
 * Hold the network namespace's daemon lock: bind the abstract unix socket `name`. Refused with
 * `daemon-running` when another process of this namespace holds it.
 */
export async function lockNetns(name = NETNS_LOCK_NAME): Promise<HeldLock> {
  const server: Server = createServer((c) => c.destroy())
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') {
        reject(
          new ConflictError(
            'daemon-running',
            `another dnet daemon runs in this network namespace (it holds the abstract socket @${name}); ` +
              'run one daemon per network namespace',
            { details: { lock: `@${name}` } },
          ),
        )
      } else reject(err)
    })
    server.listen({ path: `\0${name}` }, () => resolve())
  })
  server.unref()
  return {
    release: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/**
 * Hold `<dir>/dnet.lock` with flock(2), writing our pid into it (for people; the lock is the
 * kernel's). Refused with `daemon-running` when another process holds it.
 */
export function lockDir(dir: string, what: string): HeldLock {
  const path = join(dir, LOCK_FILE)
  const fd = openSync(path, 'a+', 0o600)
  const r = flock(fd, LOCK_EX | LOCK_NB)
  if (!r.ok) {
    let holder = ''
    try {
      holder = readFileSync(path, 'utf8').trim()
    } catch {
      // unreadable: the message goes without the pid
    }
    closeSync(fd)
    if (r.errno === EWOULDBLOCK) {
      throw new ConflictError(
        'daemon-running',
        `another dnet daemon${/^\d+$/.test(holder) ? ` (pid ${holder})` : ''} uses the ${what} ${dir} (it holds ${path})`,
        { details: { lock: path, ...(/^\d+$/.test(holder) ? { pid: Number(holder) } : {}) } },
      )
    }
    throw new UnavailableError('lock-failed', `cannot lock ${path}: errno ${r.errno}`, {
      details: { lock: path, errno: r.errno },
    })
  }
  ftruncateSync(fd, 0)
  writeSync(fd, `${process.pid}\n`)
  return {
    release: async () => {
      closeSync(fd)
    },
  }
}
