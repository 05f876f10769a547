/**
 * Named network namespaces, compatible with `ip netns`: a namespace is kept alive by a
 * bind mount of its nsfs file onto `<runDir>/<name>` (default run dir /var/run/netns).
 *
 * `setns(2)` switches only the calling thread. Everything here is synchronous, so on the
 * main thread no other JavaScript can run while the thread is inside another namespace,
 * and every switch is undone before returning (the original namespace is held by fd).
 */
import { closeSync, mkdirSync, openSync, readdirSync, unlinkSync, statSync } from 'node:fs'
import { unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { BadRequestError, InternalError } from '@libnetwork/types'
import { CLONE_NEWNET } from './constants.js'
import { errnoError } from './errors.js'
import { libc } from './ffi.js'

export const DEFAULT_RUN_DIR = '/var/run/netns'
const THREAD_NS = '/proc/thread-self/ns/net'
const MS_BIND = 4096
const MNT_DETACH = 2

/**
 * A network namespace: a name under the run dir, an absolute path to an nsfs file
 * (`/proc/123/ns/net`, `/var/run/docker/netns/abc`), a process id, or an open fd.
 */
export type NetnsRef = string | { pid: number } | { fd: number }

export interface NetnsOptions {
  /** Where named namespaces live (default /var/run/netns). */
  runDir?: string
}

function validName(name: string): void {
  if (
    typeof name !== 'string' ||
    name.length === 0 ||
    name.length > 255 ||
    name.includes('/') ||
    name.includes('\0') ||
    name === '.' ||
    name === '..'
  ) {
    throw new BadRequestError(
      'invalid-netns-name',
      `invalid namespace name ${JSON.stringify(name)}: 1-255 characters, no "/"`,
      { details: { name } },
    )
  }
}

/** The nsfs path of a namespace reference. */
export function netnsPath(ref: string | { pid: number }, options: NetnsOptions = {}): string {
  if (typeof ref === 'object') {
    if (!Number.isInteger(ref.pid) || ref.pid <= 0) {
      throw new BadRequestError('invalid-pid', `invalid process id ${String(ref.pid)}`)
    }
    return `/proc/${ref.pid}/ns/net`
  }
  if (ref.startsWith('/')) return ref
  validName(ref)
  return join(options.runDir ?? DEFAULT_RUN_DIR, ref)
}

function openPath(path: string, what: string): number {
  try {
    return openSync(path, 'r')
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw errnoError(-(e.errno ?? -5), what, { path }, undefined)
  }
}

/** Open a namespace reference; returns the fd and whether the caller must close it. */
export function openNetns(
  ref: NetnsRef,
  options: NetnsOptions = {},
): { fd: number; owned: boolean } {
  if (typeof ref === 'object' && 'fd' in ref) return { fd: ref.fd, owned: false }
  const path = netnsPath(ref, options)
  return { fd: openPath(path, `cannot open network namespace ${path}`), owned: true }
}

function setnsOrThrow(fd: number, what: string, details: Record<string, unknown>): void {
  const c = libc()
  if (c.setns(fd, CLONE_NEWNET) !== 0) throw errnoError(c.errno(), what, details)
}

function restore(orig: number): void {
  const c = libc()
  if (c.setns(orig, CLONE_NEWNET) !== 0) {
    // The thread is stranded in a foreign namespace: nothing it does afterwards is safe.
    throw new InternalError(
      'netns-restore-failed',
      `cannot return the thread to its network namespace (errno ${c.errno()})`,
    )
  }
}

/**
 * Run `fn` synchronously with the calling thread inside `ref`, then switch back.
 * Sockets and /proc/sys files opened inside `fn` stay bound to `ref` for life.
 */
export function withNetns<T>(ref: NetnsRef, fn: () => T, options: NetnsOptions = {}): T {
  if (typeof fn !== 'function')
    throw new BadRequestError('invalid-argument', 'fn must be a function')
  const target = openNetns(ref, options)
  let orig: number | undefined
  try {
    orig = openPath(THREAD_NS, 'cannot open the current network namespace')
    setnsOrThrow(target.fd, 'cannot enter network namespace', { netns: describe(ref) })
    try {
      return fn()
    } finally {
      restore(orig)
    }
  } finally {
    if (orig !== undefined) closeSync(orig)
    if (target.owned) closeSync(target.fd)
  }
}

/**
 * Move the calling thread into `ref` and leave it there — meant for worker threads that
 * then open `node:dgram` / `node:net` sockets inside the namespace. Returns a function that
 * moves the thread back to where it was.
 */
export function enterNetns(ref: NetnsRef, options: NetnsOptions = {}): () => void {
  const target = openNetns(ref, options)
  const orig = openPath(THREAD_NS, 'cannot open the current network namespace')
  try {
    setnsOrThrow(target.fd, 'cannot enter network namespace', { netns: describe(ref) })
  } catch (err) {
    closeSync(orig)
    throw err
  } finally {
    if (target.owned) closeSync(target.fd)
  }
  let done = false
  return () => {
    if (done) return
    done = true
    try {
      restore(orig)
    } finally {
      closeSync(orig)
    }
  }
}

function describe(ref: NetnsRef): string {
  if (typeof ref === 'string') return ref
  return 'pid' in ref ? `pid:${ref.pid}` : `fd:${ref.fd}`
}

/**
 * Create a named namespace (like `ip netns add`): a new network namespace bind-mounted
 * at `<runDir>/<name>`. Returns its path. Throws ConflictError if the name is taken.
 */
export function createNetns(name: string, options: NetnsOptions = {}): string {
  validName(name)
  const runDir = options.runDir ?? DEFAULT_RUN_DIR
  const path = join(runDir, name)
  mkdirSync(runDir, { recursive: true })
  try {
    closeSync(openSync(path, 'wx', 0o444))
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    throw errnoError(-(e.errno ?? -5), `cannot create network namespace ${JSON.stringify(name)}`, {
      name,
      path,
    })
  }
  const c = libc()
  let orig: number | undefined
  try {
    orig = openPath(THREAD_NS, 'cannot open the current network namespace')
    if (c.unshare(CLONE_NEWNET) !== 0) {
      throw errnoError(c.errno(), 'cannot create network namespace', { name, path })
    }
    try {
      if (c.mount(THREAD_NS, path, 'none', MS_BIND, null) !== 0) {
        throw errnoError(c.errno(), `cannot bind-mount network namespace at ${path}`, {
          name,
          path,
        })
      }
    } finally {
      restore(orig)
    }
  } catch (err) {
    unlinkSync(path)
    throw err
  } finally {
    if (orig !== undefined) closeSync(orig)
  }
  return path
}

/** The path of named namespace `name` (a name under the run dir, never an arbitrary path). */
function existingNamed(name: string, options: NetnsOptions): string {
  validName(name)
  const path = netnsPath(name, options)
  try {
    statSync(path)
  } catch {
    throw errnoError(2, `network namespace ${JSON.stringify(name)} does not exist`, { name, path })
  }
  return path
}

/** Delete a named namespace (like `ip netns delete`): unmount and remove its file. */
export function deleteNetns(name: string, options: NetnsOptions = {}): void {
  const path = existingNamed(name, options)
  const c = libc()
  if (c.umount2(path, MNT_DETACH) !== 0) {
    const errno = c.errno()
    // EINVAL: not a mount point (a stale file left by a crash); remove it anyway.
    if (errno !== 22)
      throw errnoError(errno, `cannot unmount network namespace ${path}`, { name, path })
  }
  unlinkSync(path)
}

/**
 * `deleteNetns` off the main thread: the unmount (0.05-0.15 ms of mount-table locking) runs on
 * a libuv pool thread and the file is removed through `fs.promises`. The name is checked and
 * the namespace must exist when this is called (it throws at once otherwise); the promise
 * settles when the file is gone. Meanwhile a `createNetns` of the same name fails with EEXIST.
 */
export function deleteNetnsInBackground(name: string, options: NetnsOptions = {}): Promise<void> {
  const path = existingNamed(name, options)
  const c = libc()
  return new Promise<void>((resolve, reject) => {
    c.umount2.async(path, MNT_DETACH, (err, rc) => {
      if (err !== null && err !== undefined) {
        const why = err instanceof Error ? err.message : JSON.stringify(err)
        reject(new InternalError('umount-failed', `cannot unmount ${path}: ${why}`, { cause: err }))
        return
      }
      // errno is the pool thread's and lost here: ask again on this thread for the reason.
      // EINVAL (not a mount point): a stale file left by a crash, or gone meanwhile; remove it.
      if (rc !== 0 && c.umount2(path, MNT_DETACH) !== 0) {
        const errno = c.errno()
        if (errno !== 22) {
          reject(errnoError(errno, `cannot unmount network namespace ${path}`, { name, path }))
          return
        }
      }
      unlink(path).then(resolve, (e: NodeJS.ErrnoException) =>
        e.code === 'ENOENT'
          ? resolve()
          : reject(errnoError(-(e.errno ?? -5), `cannot remove ${path}`, { name, path })),
      )
    })
  })
}

/** Names of the namespaces under the run dir (empty when the directory does not exist). */
export function listNetns(options: NetnsOptions = {}): string[] {
  try {
    return readdirSync(options.runDir ?? DEFAULT_RUN_DIR).sort()
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw err
  }
}

/** True when the run dir holds a namespace of this name. */
export function netnsExists(name: string, options: NetnsOptions = {}): boolean {
  try {
    statSync(netnsPath(name, options))
    return true
  } catch {
    return false
  }
}
