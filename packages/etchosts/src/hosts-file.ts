/**
 * A sandbox's hosts file: build it, then add, delete and update records. Every change is a
 * read-modify-write under this instance's lock, written atomically (temp file + rename).
 */
import { randomBytes } from 'node:crypto'
import { open, readFile, rename, stat, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { BadRequestError, IP, UnavailableError } from '@libnetwork/types'
import {
  defaultRecords,
  formatRecord,
  parseLine,
  sameRecord,
  validateHostName,
  validateRecord,
  type HostRecord,
} from './records.js'

export interface BuildHostsOptions {
  /** The sandbox's own address; with `hostname`, gives the line `ip fqdn hostname`. */
  ip?: IP
  hostname?: string
  /** Domain name: the own line becomes `ip hostname.domainname hostname`. */
  domainname?: string
  /** Extra records (`--add-host`), written after the own line. */
  extraHosts?: HostRecord[]
  /** Include the `::1` and `ip6-*` entries. Default true. */
  ipv6?: boolean
}

function ioError(op: string, path: string, err: unknown): UnavailableError {
  return new UnavailableError(`etchosts-${op}`, `cannot ${op} ${path}: ${(err as Error).message}`, {
    details: { path },
    cause: err,
  })
}

/**
 * One hosts file. Keep one instance per path (the sandbox owns it): operations on an instance
 * run one at a time, in call order, so concurrent updates never interleave or lose lines.
 */
export class HostsFile {
  readonly path: string
  private tail: Promise<unknown> = Promise.resolve()

  constructor(path: string) {
    if (typeof path !== 'string' || path === '') {
      throw new BadRequestError('invalid-path', 'a hosts file needs a path')
    }
    this.path = path
  }

  /** Run `fn` after every earlier operation on this file has finished. */
  private locked<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn, fn)
    this.tail = run.catch(() => undefined)
    return run
  }

  /** (Re)create the file from defaults, the sandbox's own line and extra hosts. */
  async build(options: BuildHostsOptions = {}): Promise<void> {
    const records = [...defaultRecords({ ipv6: options.ipv6 ?? true })]
    const own = ownRecord(options)
    if (own !== undefined) records.push(own)
    const extra = (options.extraHosts ?? []).map(validateRecord)
    records.push(...extra)
    const content = records.map(formatRecord).join('\n') + '\n'
    return this.locked(() => this.write(content))
  }

  /** Append records (validated first; on bad input nothing is written). */
  async add(records: HostRecord[]): Promise<void> {
    const valid = records.map(validateRecord)
    if (valid.length === 0) return this.locked(async () => undefined)
    return this.locked(async () => {
      const lines = await this.readLines()
      lines.push(...valid.map(formatRecord))
      await this.write(lines.join('\n') + '\n')
    })
  }

  /** Remove every line equal to one of `records` (same address, same names). */
  async delete(records: HostRecord[]): Promise<number> {
    const valid = records.map(validateRecord)
    return this.locked(async () => {
      const lines = await this.readLines()
      const kept = lines.filter((line) => {
        const rec = parseLine(line)
        return rec === undefined || !valid.some((v) => sameRecord(v, rec))
      })
      const removed = lines.length - kept.length
      if (removed > 0) await this.write(kept.join('\n') + '\n')
      return removed
    })
  }

  /**
   * Give every line of the same IP version whose first name is `hostname` (any case) the
   * address `ip`; returns the number of lines changed.
   */
  async update(ip: IP, hostname: string): Promise<number> {
    if (!(ip instanceof IP)) {
      throw new BadRequestError('invalid-host-record', 'update needs an IP value')
    }
    const name = validateHostName(hostname).toLowerCase()
    return this.locked(async () => {
      let changed = 0
      const lines = (await this.readLines()).map((line) => {
        const rec = parseLine(line)
        if (
          rec === undefined ||
          rec.names[0]?.toLowerCase() !== name ||
          rec.ip.version !== ip.version ||
          rec.ip.equals(ip)
        ) {
          return line
        }
        changed++
        return formatRecord({ ip, names: rec.names })
      })
      if (changed > 0) await this.write(lines.join('\n') + '\n')
      return changed
    })
  }

  /** The records in the file, in order (comments and broken lines skipped). */
  async records(): Promise<HostRecord[]> {
    return this.locked(async () =>
      (await this.readLines()).map(parseLine).filter((r): r is HostRecord => r !== undefined),
    )
  }

  private async readLines(): Promise<string[]> {
    let text: string
    try {
      text = await readFile(this.path, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw ioError('read', this.path, err)
    }
    const lines = text.split('\n')
    if (lines[lines.length - 1] === '') lines.pop()
    return lines
  }

  private async write(content: string): Promise<void> {
    let mode = 0o644
    try {
      mode = (await stat(this.path)).mode & 0o7777
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw ioError('write', this.path, err)
    }
    const dir = dirname(this.path)
    const tmp = join(dir, `.${basename(this.path)}.${randomBytes(6).toString('hex')}.tmp`)
    try {
      const fh = await open(tmp, 'wx', mode)
      try {
        await fh.writeFile(content)
        await fh.chmod(mode)
        await fh.sync()
      } finally {
        await fh.close()
      }
      await rename(tmp, this.path)
    } catch (err) {
      await unlink(tmp).catch(() => undefined)
      throw ioError('write', this.path, err)
    }
  }
}

function ownRecord(options: BuildHostsOptions): HostRecord | undefined {
  if (options.ip !== undefined && !(options.ip instanceof IP)) {
    throw new BadRequestError('invalid-host-record', 'build: ip must be an IP value')
  }
  if (options.hostname === undefined) return undefined
  const hostname = validateHostName(options.hostname)
  const names =
    options.domainname !== undefined && options.domainname !== ''
      ? [`${hostname}.${validateHostName(options.domainname)}`, hostname]
      : [hostname]
  if (options.ip === undefined) return undefined
  return { ip: options.ip, names }
}
