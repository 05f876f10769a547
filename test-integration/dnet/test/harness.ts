// A real dnet daemon inside a fresh test "host" namespace, and the real CLI talking to it.
// Nothing here touches this machine's own networking; teardown removes every namespace the
// test (or its daemon) made, even when the test fails.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { request } from 'node:http'
import { randomBytes } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createRequire } from 'node:module'
import { promisify } from 'node:util'

const pexec = promisify(execFile)
const require = createRequire(import.meta.url)
/** The `dnet` executable, run as a user runs it (its shebang sets the Node flags dnet wants). */
export const DNET = require
  .resolve('@libnetwork/dnet/package.json')
  .replace(/package\.json$/, 'bin/dnet.js')

export interface Teardown {
  teardown(fn: () => unknown): void
}

export async function sh(
  argv: string[],
  opts: { uid?: number; gid?: number } = {},
): Promise<string> {
  return (await pexec(argv[0]!, argv.slice(1), { encoding: 'utf8', ...opts })).stdout
}

export async function namespaces(prefix: string): Promise<string[]> {
  const out = (await sh(['ip', '-j', 'netns', 'list'])).trim()
  return (JSON.parse(out || '[]') as { name: string }[])
    .map((n) => n.name)
    .filter((n) => n.startsWith(prefix))
}

export class Host {
  readonly prefix = `lnt-dnet-${randomBytes(3).toString('hex')}`
  readonly ns = this.prefix
  readonly dir = mkdtempSync(join(tmpdir(), 'lnt-dnet-'))
  readonly socket = join(this.dir, 'run', 'dnet.sock')
  /** Upstream nameserver for containers: the test network's gateway, inside the host namespace. */
  readonly resolvConf = join(this.dir, 'resolv.conf')
  daemon: ChildProcess | undefined
  logs = ''

  static async create(t: Teardown, gateway = '10.77.0.1'): Promise<Host> {
    const h = new Host()
    t.teardown(() => h.destroy())
    chmodSync(h.dir, 0o755)
    writeFileSync(h.resolvConf, `nameserver ${gateway}\n`)
    await sh(['ip', 'netns', 'add', h.ns])
    await sh(['ip', '-n', h.ns, 'link', 'set', 'lo', 'up'])
    return h
  }

  /** Start `dnet -d` in the host namespace; resolves once its socket answers. */
  async start(extra: string[] = [], opts: { cwd?: string } = {}): Promise<void> {
    const args = [
      `--net=/var/run/netns/${this.ns}`,
      DNET,
      '-d',
      '--exec-root',
      join(this.dir, 'run'),
      '--data-root',
      join(this.dir, 'lib'),
      '--resolv-conf',
      this.resolvConf,
      '--sandbox-prefix',
      `${this.prefix}-sb-`,
      '--log-level',
      'warn',
      ...extra,
    ]
    const child = spawn('nsenter', args, { stdio: ['ignore', 'ignore', 'pipe'], cwd: opts.cwd })
    this.daemon = child
    child.stderr.setEncoding('utf8')
    child.stderr.on('data', (d: string) => (this.logs += d))
    // Up to 60 s: on a loaded machine a start that restores bridges and rules takes over 10 s.
    for (let i = 0; i < 1200; i++) {
      if (child.exitCode !== null) throw new Error(`daemon exited ${child.exitCode}: ${this.logs}`)
      if (existsSync(this.socket) && (await this.ping())) return
      await new Promise((r) => setTimeout(r, 50))
    }
    throw new Error(`daemon did not come up: ${this.logs}`)
  }

  private async ping(): Promise<boolean> {
    try {
      await this.api('GET', '/_ping')
      return true
    } catch {
      return false
    }
  }

  /** SIGTERM the daemon and wait for it; returns its exit code. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    const d = this.daemon
    if (!d || d.exitCode !== null || d.signalCode !== null) return d?.exitCode ?? null
    const exited = new Promise<number | null>((r) => d.once('exit', (code) => r(code)))
    d.kill(signal)
    return exited
  }

  /** Run the CLI; never throws: returns the exit code and both outputs. */
  async cli(...args: string[]): Promise<{ code: number; out: string; err: string }> {
    return new Promise((resolve) => {
      execFile(
        DNET,
        ['-H', `unix://${this.socket}`, ...args],
        { encoding: 'utf8' },
        (e, out, err) => {
          resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err })
        },
      )
    })
  }

  /** Like cli() but fails the caller on a non-zero exit. */
  async ok(...args: string[]): Promise<string> {
    const r = await this.cli(...args)
    if (r.code !== 0) throw new Error(`dnet ${args.join(' ')} exited ${r.code}: ${r.err}`)
    return r.out
  }

  /** Raw REST call over the unix socket. */
  async api(
    method: string,
    path: string,
    body?: string | object,
  ): Promise<{ status: number; body: any }> {
    const payload =
      body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body)
    return new Promise((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socket,
          method,
          path,
          headers: payload ? { 'content-type': 'application/json' } : {},
        },
        (res) => {
          let text = ''
          res.setEncoding('utf8')
          res.on('data', (c: string) => (text += c))
          res.on('end', () =>
            resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined }),
          )
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Run node code inside a container's namespace (by its key path). */
  async inContainer(key: string, code: string, ...args: string[]): Promise<string> {
    return sh([
      'nsenter',
      `--net=${key}`,
      process.execPath,
      '--input-type=module',
      '-e',
      code,
      '--',
      ...args,
    ])
  }

  async destroy(): Promise<void> {
    await this.stop('SIGKILL').catch(() => undefined)
    for (const n of await namespaces(this.prefix))
      await sh(['ip', 'netns', 'del', n]).catch(() => undefined)
    rmSync(this.dir, { recursive: true, force: true })
  }
}

/** A TCP server in a container answering every connection with `reply`; killed at teardown. */
export async function serve(t: Teardown, key: string, port: number, reply: string): Promise<void> {
  const code = `require('net').createServer(s => s.end(${JSON.stringify(reply)})).listen(${port}, () => console.log('up'))`
  const child = spawn('nsenter', [`--net=${key}`, process.execPath, '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => child.kill('SIGKILL'))
  await new Promise((resolve, reject) => {
    child.stdout.once('data', resolve)
    child.once('exit', (c) => reject(new Error(`server exited ${c}`)))
  })
}

/** From inside `key`: resolve `name` at 127.0.0.11 (if not an IP), connect to port, print reply. */
export const FETCH = `
  import net from 'node:net'
  import { Resolver } from 'node:dns/promises'
  const [name, port] = process.argv.slice(1)
  let ip = name
  if (!net.isIP(name)) {
    const r = new Resolver({ timeout: 1500, tries: 2 }); r.setServers(['127.0.0.11'])
    ;[ip] = await r.resolve4(name)
  }
  const s = net.connect({ host: ip, port: Number(port), timeout: 2000 }); s.setEncoding('utf8')
  let data = ''
  s.on('data', (d) => (data += d)); s.on('end', () => console.log(data))
  s.on('timeout', () => { console.log('TIMEOUT'); process.exit(0) })
  s.on('error', (e) => { console.log('ERROR ' + e.code); process.exit(0) })`
