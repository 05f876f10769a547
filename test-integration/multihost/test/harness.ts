// The multi-host harness: N "hosts" as network namespaces, each with one veth onto an "underlay"
// bridge that lives in a namespace of its own, addresses on a private underlay subnet, and etcd
// on the underlay in its own namespace. Nothing here touches this machine's own namespace: every
// link is created inside a test namespace (`ip -n`), and teardown kills every process the
// harness started and deletes every namespace, even when the test fails.
import { execFile, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { promisify } from 'node:util'

const pexec = promisify(execFile)

export interface Teardown {
  teardown(fn: () => unknown): void
}

/** Run a command; resolves with its stdout, rejects with its stderr in the message. */
export async function sh(argv: readonly string[]): Promise<string> {
  try {
    return (await pexec(argv[0]!, argv.slice(1), { encoding: 'utf8' })).stdout
  } catch (err) {
    const e = err as { stderr?: string; message: string }
    throw new Error(`${argv.join(' ')}: ${e.stderr?.trim() || e.message}`)
  }
}

/** Namespaces whose names start with `prefix`. */
export async function namespaces(prefix: string): Promise<string[]> {
  const out = (await sh(['ip', '-j', 'netns', 'list'])).trim()
  return (JSON.parse(out || '[]') as { name: string }[])
    .map((n) => n.name)
    .filter((n) => n.startsWith(prefix))
}

/** Resolves when `cond()` holds (checked every 25 ms); fails after `limitMs` naming the wait. */
export async function until(
  what: string,
  cond: () => boolean | Promise<boolean>,
  limitMs = 30_000,
): Promise<void> {
  const end = Date.now() + limitMs
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

/** A process started by the harness inside a namespace: its output lines, and a kill. */
export class NsProcess {
  readonly child: ChildProcess
  readonly lines: string[] = []
  stderr = ''
  readonly #waiters = new Set<() => void>()
  readonly exited: Promise<number | null>

  constructor(child: ChildProcess) {
    this.child = child
    // 'close': the process has exited and its output has been read to the end.
    this.exited = new Promise((resolve) =>
      child.once('close', (code) => {
        this.#wake()
        resolve(code)
      }),
    )
    if (child.stdout) {
      createInterface({ input: child.stdout }).on('line', (l) => {
        this.lines.push(l)
        this.#wake()
      })
    }
    child.stderr?.setEncoding('utf8')
    child.stderr?.on('data', (d: string) => {
      this.stderr += d
      this.#wake()
    })
  }

  #wake(): void {
    for (const w of this.#waiters) w()
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null
  }

  /** Resolves with the first output line (past or future) that `match` accepts. */
  async waitLine(match: (line: string) => boolean, limitMs = 30_000): Promise<string> {
    const end = Date.now() + limitMs
    for (;;) {
      const hit = this.lines.find(match)
      if (hit !== undefined) return hit
      if (!this.running) throw new Error(`process exited before the line; stderr: ${this.stderr}`)
      const left = end - Date.now()
      if (left <= 0) throw new Error(`no matching line; stderr: ${this.stderr}`)
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(left, 1_000))
        function done(): void {
          clearTimeout(timer)
          waiters.delete(done)
          resolve()
        }
        const waiters = this.#waiters
        waiters.add(done)
      })
    }
  }

  /** Write one line to its stdin. */
  send(line: string): void {
    this.child.stdin?.write(line + '\n')
  }

  /**
   * SIGKILL (the default) goes to its whole process group; another signal goes to `timeout`,
   * which passes it on once to the command (a graceful stop). Waits for it to exit.
   */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const pid = this.child.pid
    if (this.running && signal !== 'SIGKILL') {
      this.child.kill(signal)
    } else if (this.running && pid !== undefined) {
      try {
        process.kill(-pid, signal)
      } catch {
        this.child.kill(signal)
      }
    }
    await this.exited
  }
}

/** One end of the underlay: a namespace with `eth0` on the underlay bridge. */
export class Host {
  constructor(
    readonly name: string,
    readonly ns: string,
    /** Its underlay address, e.g. `10.99.0.11`. */
    readonly ip: string,
    private readonly harness: Underlay,
  ) {}

  /** Run a command inside this host's namespace; resolves with its stdout. */
  async exec(argv: readonly string[]): Promise<string> {
    return sh(['ip', 'netns', 'exec', this.ns, ...argv])
  }

  /**
   * Start a long-running command in this host's namespace (a daemon, an agent), with its stdin
   * and stdout piped. It is SIGKILLed after `lifetimeS` seconds at the latest (so it cannot
   * outlive a test that dies) and at teardown.
   */
  spawn(argv: readonly string[], opts: SpawnOptions = {}) {
    return this.harness.spawnIn(this.ns, argv, opts)
  }
}

export interface SpawnOptions {
  /** Seconds before it is SIGKILLed (default 240). */
  lifetimeS?: number
  env?: NodeJS.ProcessEnv
  /**
   * Enter only the network namespace (`nsenter --net`), keeping the test's mount namespace,
   * instead of `ip netns exec` (which gives the process a mount namespace of its own). Needed
   * by a process that bind-mounts namespaces (a dnet daemon's containers): they are then
   * visible to the test and outlive the process, as on a real host. Such a process sees the
   * test's /sys, not the host namespace's.
   */
  sameMounts?: boolean
}

export interface UnderlayOptions {
  /** Number of hosts (default 3). */
  hosts?: number
  /** The underlay's first three octets (default `10.99.0`; a /24). */
  subnet?: string
}

export interface Etcd {
  /** `http://ip:2379` */
  endpoint: string
  ip: string
  process: NsProcess
}

/**
 * N hosts on an underlay bridge. `Underlay.create(t)` registers its own teardown; create
 * everything through it (hosts, etcd, processes) and nothing is left behind.
 */
export class Underlay {
  readonly prefix = `lnt-mh-${randomBytes(3).toString('hex')}`
  /** The namespace holding the underlay bridge `br0`. */
  readonly ns = `${this.prefix}-ul`
  readonly dir = mkdtempSync(join(tmpdir(), 'lnt-mh-'))
  readonly hosts: Host[] = []
  readonly subnet: string
  readonly #procs = new Set<NsProcess>()
  #next = 0
  etcd: Etcd | undefined

  private constructor(subnet: string) {
    this.subnet = subnet
  }

  static async create(t: Teardown, opts: UnderlayOptions = {}): Promise<Underlay> {
    const u = new Underlay(opts.subnet ?? '10.99.0')
    t.teardown(() => u.destroy())
    await sh(['ip', 'netns', 'add', u.ns])
    await sh(['ip', '-n', u.ns, 'link', 'set', 'lo', 'up'])
    await sh(['ip', '-n', u.ns, 'link', 'add', 'br0', 'type', 'bridge'])
    await sh(['ip', '-n', u.ns, 'link', 'set', 'br0', 'up'])
    for (let i = 0; i < (opts.hosts ?? 3); i++) await u.addHost()
    return u
  }

  /** Plug a new namespace into the underlay (`<prefix>-<name>`, address `.10 + n`). */
  async addHost(name = `h${this.hosts.length + 1}`): Promise<Host> {
    const ns = `${this.prefix}-${name}`
    const ip = `${this.subnet}.${10 + ++this.#next}`
    await this.#plug(ns, `v${this.#next}`, ip)
    const h = new Host(name, ns, ip, this)
    this.hosts.push(h)
    return h
  }

  async #plug(ns: string, port: string, ip: string): Promise<void> {
    await sh(['ip', 'netns', 'add', ns])
    // Both ends are created inside test namespaces: the underlay end in the underlay
    // namespace, its peer straight into the host's.
    await sh([
      'ip',
      '-n',
      this.ns,
      'link',
      'add',
      port,
      'type',
      'veth',
      'peer',
      'name',
      'eth0',
      'netns',
      ns,
    ])
    await sh(['ip', '-n', this.ns, 'link', 'set', port, 'master', 'br0', 'up'])
    await sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
    await sh(['ip', '-n', ns, 'addr', 'add', `${ip}/24`, 'dev', 'eth0'])
    await sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up'])
  }

  /** Start a process in namespace `ns` (see `Host.spawn`). */
  spawnIn(ns: string, argv: readonly string[], opts: SpawnOptions = {}): NsProcess {
    const lifetime = String(opts.lifetimeS ?? 240)
    const enter = opts.sameMounts
      ? ['nsenter', `--net=/var/run/netns/${ns}`, '--']
      : ['ip', 'netns', 'exec', ns]
    const child = spawn('timeout', ['-s', 'KILL', lifetime, ...enter, ...argv], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: opts.env ?? process.env,
      // Its own process group, so a kill reaches what `timeout` started too.
      detached: true,
    })
    const p = new NsProcess(child)
    this.#procs.add(p)
    return p
  }

  /**
   * Start etcd (Debian's etcd-server) in its own namespace on the underlay (`.2`), with a
   * bounded lifetime; resolves once it answers a health check from the first host.
   */
  async startEtcd(opts: { lifetimeS?: number } = {}): Promise<Etcd> {
    if (this.etcd) return this.etcd
    const ns = `${this.prefix}-etcd`
    const ip = `${this.subnet}.2`
    await this.#plug(ns, 'vetcd', ip)
    return this.#runEtcd(ns, ip, opts)
  }

  /**
   * Stop etcd if it runs (SIGKILL, as a crash) and start it again in its namespace on the same
   * data directory; resolves once it answers. `u.etcd` is then the new process.
   */
  async restartEtcd(opts: { lifetimeS?: number } = {}): Promise<Etcd> {
    const old = this.etcd
    if (!old) throw new Error('restartEtcd: etcd was never started')
    await old.process.kill()
    return this.#runEtcd(`${this.prefix}-etcd`, old.ip, opts)
  }

  async #runEtcd(ns: string, ip: string, opts: { lifetimeS?: number }): Promise<Etcd> {
    const client = `http://${ip}:2379`
    const peer = `http://${ip}:2380`
    const process = this.spawnIn(
      ns,
      [
        'etcd',
        '--name',
        'lnt',
        '--data-dir',
        join(this.dir, 'etcd'),
        '--listen-client-urls',
        client,
        '--advertise-client-urls',
        client,
        '--listen-peer-urls',
        peer,
        '--initial-advertise-peer-urls',
        peer,
        '--initial-cluster',
        `lnt=${peer}`,
        '--log-level',
        'warn',
      ],
      opts,
    )
    this.etcd = { endpoint: client, ip, process }
    const probe = this.hosts[0] ?? (await this.addHost())
    await until(
      'etcd to answer on the underlay',
      async () => {
        if (!process.running) throw new Error(`etcd exited: ${process.stderr}`)
        try {
          const out = await probe.exec(['curl', '-sf', '--max-time', '1', `${client}/health`])
          return out.includes('"health":"true"')
        } catch {
          return false
        }
        // A loaded machine can take a while to start etcd (and fsync its first write).
      },
      120_000,
    )
    return this.etcd
  }

  /** Kill every process, delete every namespace and the scratch directory. */
  async destroy(): Promise<void> {
    await Promise.all([...this.#procs].map((p) => p.kill().catch(() => undefined)))
    this.#procs.clear()
    for (const n of await namespaces(this.prefix).catch(() => [] as string[]))
      await sh(['ip', 'netns', 'del', n]).catch(() => undefined)
    rmSync(this.dir, { recursive: true, force: true })
  }
}
