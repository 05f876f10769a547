/**
 * Reading the host's resolv.conf, and writing a container's atomically with a hash beside it
 * so that later updates can tell whether the user edited the file by hand.
 */
import { createHash, randomBytes } from 'node:crypto'
import { open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { UnavailableError } from '@libnetwork/types'
import { formatResolvConf, parseResolvConf, type ResolvConf } from './parse.js'

export const DEFAULT_RESOLV_CONF_PATH = '/etc/resolv.conf'
/** The file systemd-resolved keeps with the real upstream nameservers. */
export const SYSTEMD_RESOLVED_PATH = '/run/systemd/resolve/resolv.conf'
const RESOLVED_STUB = '127.0.0.53'

/** Hex SHA-256 of the content: the change-detection key. */
export function contentHash(content: string): string {
  return createHash('sha256').update(content).digest('hex')
}

function isNotFound(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (err) {
    if (isNotFound(err)) return undefined
    throw new UnavailableError(
      'resolvconf-read',
      `cannot read ${path}: ${(err as Error).message}`,
      {
        details: { path },
        cause: err,
      },
    )
  }
}

/**
 * Write `content` to `path` atomically: a temporary file in the same directory is written,
 * flushed and renamed over the target. The target's mode is kept (else `mode`, else 0644).
 */
export async function atomicWriteFile(
  path: string,
  content: string,
  options: { mode?: number } = {},
): Promise<void> {
  let mode = options.mode ?? 0o644
  try {
    mode = (await stat(path)).mode & 0o7777
  } catch (err) {
    if (!isNotFound(err)) throw wrapWrite(path, err)
  }
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
  try {
    const fh = await open(tmp, 'wx', mode)
    try {
      await fh.writeFile(content)
      await fh.chmod(mode) // open() is subject to the umask
      await fh.sync()
    } finally {
      await fh.close()
    }
    await rename(tmp, path)
  } catch (err) {
    await unlink(tmp).catch(() => undefined)
    throw wrapWrite(path, err)
  }
}

function wrapWrite(path: string, err: unknown): UnavailableError {
  return new UnavailableError(
    'resolvconf-write',
    `cannot write ${path}: ${(err as Error).message}`,
    {
      details: { path },
      cause: err,
    },
  )
}

export interface HostResolvConfOptions {
  /** The host's resolv.conf. Default /etc/resolv.conf. */
  path?: string
  /** Where systemd-resolved keeps the real one. Default /run/systemd/resolve/resolv.conf. */
  resolvedPath?: string
}

export interface HostResolvConf {
  /** The file that was read (the systemd-resolved one when the stub was detected). */
  path: string
  content: string
  conf: ResolvConf
  hash: string
  /** True when the file did not exist (read as empty). */
  missing: boolean
}

/** True when the file's only nameserver is systemd-resolved's stub 127.0.0.53. */
export function isSystemdResolvedStub(conf: ResolvConf): boolean {
  return conf.nameservers.length === 1 && conf.nameservers[0]?.toString() === RESOLVED_STUB
}

/**
 * Read the host's resolv.conf. When it points only at systemd-resolved's stub, the real
 * upstream file is read instead (if it exists). A missing file reads as empty.
 */
export async function readHostResolvConf(
  options: HostResolvConfOptions = {},
): Promise<HostResolvConf> {
  const path = options.path ?? DEFAULT_RESOLV_CONF_PATH
  const resolvedPath = options.resolvedPath ?? SYSTEMD_RESOLVED_PATH
  const content = await readOptional(path)
  const conf = parseResolvConf(content ?? '')
  if (content !== undefined && isSystemdResolvedStub(conf)) {
    const real = await readOptional(resolvedPath)
    if (real !== undefined) {
      return {
        path: resolvedPath,
        content: real,
        conf: parseResolvConf(real),
        hash: contentHash(real),
        missing: false,
      }
    }
  }
  return {
    path,
    content: content ?? '',
    conf,
    hash: contentHash(content ?? ''),
    missing: content === undefined,
  }
}

/** Path of the hash file kept beside a container's resolv.conf. */
export function hashPath(path: string): string {
  return `${path}.hash`
}

export type UpdateOutcome = 'written' | 'unchanged' | 'user-modified'

/**
 * Write a container's resolv.conf (and its hash file). Unless `force`, a file the user edited
 * by hand since we last wrote it is left alone ('user-modified'), and identical content is not
 * rewritten ('unchanged').
 */
export async function writeContainerResolvConf(
  path: string,
  conf: ResolvConf,
  options: { force?: boolean; header?: string; mode?: number } = {},
): Promise<UpdateOutcome> {
  const content = formatResolvConf(
    conf,
    options.header === undefined ? {} : { header: options.header },
  )
  const hash = contentHash(content)
  if (options.force !== true) {
    const current = await readOptional(path)
    if (current !== undefined) {
      const stored = (await readOptional(hashPath(path)))?.trim()
      const currentHash = contentHash(current)
      if (stored !== undefined && stored !== currentHash) return 'user-modified'
      if (currentHash === hash) return 'unchanged'
    }
  }
  await atomicWriteFile(path, content, options.mode === undefined ? {} : { mode: options.mode })
  await atomicWriteFile(hashPath(path), hash + '\n', { mode: 0o644 })
  return 'written'
}
