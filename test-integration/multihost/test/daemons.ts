// dnet daemons on the harness's hosts: one `dnet -d` per host namespace with its own config, exec
// root, data root and sandbox prefix; its REST API (over its unix socket, reachable from the test
// process), its CLI run inside the host namespace, its JSON log lines, and the containers it makes:
// their namespace, a command inside one, and names asked of the embedded DNS (127.0.0.11).
import { request } from 'node:http'
import { createRequire } from 'node:module'
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { sh, until, type Host, type NsProcess, type Underlay } from './harness.js'

const require = createRequire(import.meta.url)
/** The `dnet` executable (run it, not `node` on it: it sets its own V8 flags). */
export const DNET = require
  .resolve('@libnetwork/dnet/package.json')
  .replace(/package\.json$/, 'bin/dnet.js')
const PROBE = join(dirname(fileURLToPath(import.meta.url)), 'dns-probe.mjs')

/** One JSON log line of the daemon (stderr). */
export interface LogLine {
  level: string
  msg: string
  [k: string]: unknown
}

/** An error answer of the REST API. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly category: string,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message)
  }
}

export interface DaemonOptions {
  /** `[cluster]`: bind to the host's underlay address, join these `ip:port` (or hosts). */
  cluster?: { join?: (string | Host)[]; encryptionKey?: string; port?: number }
  /** `[datastore.global]` on this etcd endpoint (`u.etcd.endpoint` when `true`). */
  etcd?: string | true
  /** More TOML, appended to the generated config. */
  extraConfig?: string
  logLevel?: 'debug' | 'info' | 'warn' | 'error'
  /** Seconds before the harness SIGKILLs it (default 240). */
  lifetimeS?: number
  /** Do not wait for the API (e.g. a daemon expected to fail at start). */
  noWait?: boolean
}

/** A network as the API shows it (the fields the tests use). */
export interface NetworkView {
  id: string
  name: string
  driver: string
  scope: string
  ipam: { driver: string; config: { subnet?: string; ipRange?: string; gateway?: string }[] }
  options: Record<string, string>
  endpoints: string[]
}
export interface EndpointView {
  id: string
  name: string
  networkId: string
  networkName: string
  sandboxId: string | null
  ipv4Address: string | null
  ipv6Address: string | null
  aliases: string[]
}
export interface SandboxView {
  id: string
  containerId: string
  hostname: string
  key: string
  endpoints: string[]
}
export interface MemberView {
  name: string
  address: string
  state: 'alive' | 'suspect' | 'dead' | 'left'
  self: boolean
}

/** `[cluster]` port of a host written as a Host. */
const peer = (p: string | Host, port: number): string =>
  typeof p === 'string' ? p : `${p.ip}:${port}`

/** The TOML a daemon gets for `opts`. */
export function daemonConfig(u: Underlay, h: Host, opts: DaemonOptions): string {
  const lines: string[] = []
  if (opts.etcd) {
    const ep = opts.etcd === true ? u.etcd?.endpoint : opts.etcd
    if (!ep) throw new Error('etcd: true but the underlay has no etcd (u.startEtcd() first)')
    lines.push('[datastore.global]', 'provider = "etcd"', `endpoints = ["${ep}"]`)
  }
  if (opts.cluster) {
    const port = opts.cluster.port ?? 7946
    lines.push('[cluster]', `bind_address = "${h.ip}"`, `bind_port = ${port}`)
    const join = (opts.cluster.join ?? []).map((p) => `"${peer(p, 7946)}"`)
    lines.push(`join = [${join.join(', ')}]`)
    if (opts.cluster.encryptionKey) lines.push(`encryption_key = "${opts.cluster.encryptionKey}"`)
  }
  if (opts.extraConfig) lines.push(opts.extraConfig)
  return lines.join('\n') + '\n'
}

/**
 * A `dnet -d` in a harness host. `Daemon.start(u, h, opts)` writes its config under
 * `u.dir/<host>/`, starts it and waits until `GET /_ping` answers. The harness's teardown
 * kills it and deletes its containers' namespaces (their prefix is `<u.prefix>-<host>-sb-`).
 */
export class Daemon {
  process!: NsProcess
  readonly dir: string
  readonly socket: string
  readonly sandboxPrefix: string
  /** The log lines of the processes before the current one (after `restart`). */
  readonly pastLogs: LogLine[] = []

  private constructor(
    readonly u: Underlay,
    readonly host: Host,
    readonly opts: DaemonOptions,
  ) {
    this.dir = join(u.dir, host.name)
    this.socket = join(this.dir, 'run', 'dnet.sock')
    this.sandboxPrefix = `${u.prefix}-${host.name}-sb-`
  }

  static async start(u: Underlay, h: Host, opts: DaemonOptions = {}): Promise<Daemon> {
    const d = new Daemon(u, h, opts)
    mkdirSync(d.dir, { recursive: true })
    writeFileSync(join(d.dir, 'dnet.toml'), daemonConfig(u, h, opts))
    // Upstream nameservers for containers: an underlay address nobody answers on.
    writeFileSync(join(d.dir, 'resolv.conf'), `nameserver ${u.subnet}.1\n`)
    d.#spawn()
    if (!opts.noWait) await d.ready()
    return d
  }

  #spawn(): void {
    const argv = [
      DNET,
      '-d',
      '--config',
      join(this.dir, 'dnet.toml'),
      '--exec-root',
      join(this.dir, 'run'),
      '--data-root',
      join(this.dir, 'lib'),
      '--resolv-conf',
      join(this.dir, 'resolv.conf'),
      '--sandbox-prefix',
      this.sandboxPrefix,
      '--default-network',
      '',
      '--log-level',
      this.opts.logLevel ?? 'info',
    ]
    // In the test's mount namespace: its containers' namespaces (bind mounts) are then visible
    // to `nsenter` from the test and survive a daemon that is killed, as on a real host.
    this.process = this.host.spawn(argv, {
      sameMounts: true,
      ...(this.opts.lifetimeS !== undefined ? { lifetimeS: this.opts.lifetimeS } : {}),
    })
  }

  get running(): boolean {
    return this.process.running
  }

  /** Resolves once the API answers `GET /_ping`; fails if the daemon exits first. */
  async ready(limitMs = 60_000): Promise<void> {
    await until(
      `dnet on ${this.host.name} to answer`,
      async () => {
        if (!this.process.running)
          throw new Error(`dnet on ${this.host.name} exited: ${this.process.stderr.slice(-2000)}`)
        try {
          await this.api('GET', '/_ping')
          return true
        } catch {
          return false
        }
      },
      limitMs,
    )
  }

  /** Stop it: SIGKILL by default (a crash), SIGTERM for a clean stop. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    await this.process.kill(signal)
  }

  /** Start it again with the same config, roots and store (after `kill`). */
  async restart(opts: { noWait?: boolean } = {}): Promise<void> {
    if (this.process.running) await this.kill('SIGTERM')
    this.pastLogs.push(...this.logs())
    this.#spawn()
    if (!opts.noWait) await this.ready()
  }

  /** The current process's JSON log lines. */
  logs(): LogLine[] {
    const out: LogLine[] = []
    for (const l of this.process.stderr.split('\n')) {
      if (!l.startsWith('{')) continue
      try {
        out.push(JSON.parse(l) as LogLine)
      } catch {
        // a line still being written
      }
    }
    return out
  }

  /** Resolves with the first log line `match` accepts; fails if the daemon exits first. */
  async untilLog(what: string, match: (l: LogLine) => boolean, limitMs = 60_000) {
    let hit: LogLine | undefined
    await until(
      `${what} (log of dnet on ${this.host.name})`,
      () => {
        hit = this.logs().find(match)
        if (hit) return true
        if (!this.process.running)
          throw new Error(`dnet on ${this.host.name} exited: ${this.process.stderr.slice(-2000)}`)
        return false
      },
      limitMs,
    )
    return hit!
  }

  /** A REST call over the unix socket; an error answer rejects with an `ApiError`. */
  api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const payload = body === undefined ? undefined : JSON.stringify(body)
    return new Promise<T>((resolve, reject) => {
      const req = request(
        {
          socketPath: this.socket,
          method,
          path,
          agent: false,
          headers: payload
            ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
            : {},
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8')
            const status = res.statusCode ?? 500
            let parsed: unknown
            try {
              parsed = text ? JSON.parse(text) : undefined
            } catch {
              parsed = text
            }
            if (status < 400) return resolve(parsed as T)
            const e =
              (
                parsed as
                  | {
                      error?: {
                        category?: string
                        code?: string
                        message?: string
                        details?: unknown
                      }
                    }
                  | undefined
              )?.error ?? {}
            reject(
              new ApiError(
                status,
                e.category ?? '',
                e.code ?? '',
                `${method} ${path} on ${this.host.name}: ${status} ${e.message ?? text}`,
                e.details,
              ),
            )
          })
        },
      )
      req.on('error', reject)
      req.end(payload)
    })
  }

  /** Run the dnet CLI against this daemon inside the host namespace; resolves with stdout. */
  cli(args: readonly string[]): Promise<string> {
    return this.host.exec([DNET, '-H', `unix://${this.socket}`, ...args])
  }

  // --- REST shortcuts ---------------------------------------------------------------------------

  createNetwork(req: {
    name: string
    id?: string
    driver?: string
    ipam?: { config: { subnet?: string; ipRange?: string; gateway?: string }[] }
    options?: Record<string, string>
    ipv6?: boolean
    internal?: boolean
  }): Promise<NetworkView> {
    return this.api('POST', '/networks', req)
  }

  networks(): Promise<NetworkView[]> {
    return this.api('GET', '/networks')
  }

  deleteNetwork(network: string): Promise<void> {
    return this.api('DELETE', `/networks/${network}`)
  }

  /**
   * A container (sandbox) named `name`, hostname `name` by default. Its DNS server is
   * 127.0.0.53 (inside it): names the embedded DNS does not own go there, and the DNS probe
   * answers them NXDOMAIN (see dns-probe.mjs), so nothing is sent off the container.
   */
  createContainer(
    name: string,
    opts: { hostname?: string; dns?: string[] } = {},
  ): Promise<SandboxView> {
    return this.api('POST', '/sandboxes', {
      containerId: name,
      hostname: opts.hostname ?? name,
      dns: opts.dns ?? ['127.0.0.53'],
    })
  }

  deleteContainer(name: string): Promise<void> {
    return this.api('DELETE', `/sandboxes/${name}`)
  }

  /** Publish a service: an endpoint `svc` on `network`. */
  publish(
    network: string,
    svc: string,
    opts: { aliases?: string[]; ipv4Address?: string } = {},
  ): Promise<EndpointView> {
    return this.api('POST', `/networks/${network}/endpoints`, { name: svc, ...opts })
  }

  unpublish(network: string, svc: string): Promise<void> {
    return this.api('DELETE', `/networks/${network}/endpoints/${svc}`)
  }

  services(network?: string): Promise<EndpointView[]> {
    return this.api('GET', network ? `/networks/${network}/endpoints` : '/services')
  }

  attach(
    container: string,
    network: string,
    svc: string,
    opts: { aliases?: string[] } = {},
  ): Promise<EndpointView> {
    return this.api('POST', `/networks/${network}/endpoints/${svc}/sandboxes`, {
      sandbox: container,
      ...opts,
    })
  }

  detach(container: string, network: string, svc: string): Promise<EndpointView> {
    return this.api('DELETE', `/networks/${network}/endpoints/${svc}/sandboxes/${container}`)
  }

  /** Publish `svc` on `network` and attach a new container `name` (default `svc`) to it. */
  async run(
    network: string,
    svc: string,
    opts: { name?: string; aliases?: string[]; ipv4Address?: string } = {},
  ): Promise<EndpointView> {
    const name = opts.name ?? svc
    await this.createContainer(name)
    await this.publish(network, svc, opts.ipv4Address ? { ipv4Address: opts.ipv4Address } : {})
    return this.attach(name, network, svc, opts.aliases ? { aliases: opts.aliases } : {})
  }

  /**
   * Publish `n` services `<prefix><i>` on `network`, `parallel` requests at a time (each
   * allocates an address); resolves with their IPv4 addresses.
   */
  async publishMany(network: string, prefix: string, n: number, parallel = 8): Promise<string[]> {
    const out: string[] = []
    let next = 0
    await Promise.all(
      Array.from({ length: parallel }, async () => {
        while (next < n) {
          const ep = await this.publish(network, `${prefix}${next++}`)
          out.push(ep.ipv4Address!.split('/')[0]!)
        }
      }),
    )
    return out
  }

  /** The resident set of the daemon's process, in MiB (from its pid file and /proc). */
  rssMiB(): number {
    const pid = readFileSync(join(this.dir, 'run', 'dnet.pid'), 'utf8').trim()
    const kb = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
    if (kb === undefined) throw new Error(`no VmRSS for dnet pid ${pid}`)
    return Number(kb) / 1024
  }

  members(): Promise<MemberView[]> {
    return this.api('GET', '/cluster/members')
  }

  // --- inside containers ------------------------------------------------------------------------

  /** The path of a container's network namespace (its `key`). */
  async netns(container: string): Promise<string> {
    return (await this.api<SandboxView>('GET', `/sandboxes/${container}`)).key
  }

  /** Run a command inside a container's network namespace; resolves with its stdout. */
  async inContainer(container: string, argv: readonly string[]): Promise<string> {
    return sh(['nsenter', `--net=${await this.netns(container)}`, '--', ...argv])
  }

  /**
   * Ask the embedded DNS (127.0.0.11) of `container` for `name` (`A`, `AAAA`, or `PTR` of an
   * address). Resolves with the sorted answers, `[]` when the name does not exist.
   */
  async resolve(container: string, name: string, type: 'A' | 'AAAA' | 'PTR' = 'A') {
    const out = await this.inContainer(container, [process.execPath, PROBE, 'once', type, name])
    const r = JSON.parse(out) as { answers?: string[]; error?: string }
    if (r.error !== undefined) throw new Error(`${type} ${name} in ${container}: ${r.error}`)
    return r.answers!
  }

  /** Waits until `container` resolves `name` to exactly `want` (`[]`: until it is gone). */
  async untilResolves(
    container: string,
    name: string,
    want: string[],
    type: 'A' | 'AAAA' | 'PTR' = 'A',
    limitMs = 60_000,
  ): Promise<void> {
    const w = [...want].sort().join(',')
    let last = ''
    await until(
      `${container} on ${this.host.name} to resolve ${type} ${name} to [${w}]`,
      async () => {
        try {
          last = (await this.resolve(container, name, type)).join(',')
        } catch (e) {
          last = String(e)
        }
        return last === w
      },
      limitMs,
    ).catch((e: Error) => {
      throw new Error(`${e.message} (last answer: [${last}])`)
    })
  }

  /**
   * A long-lived DNS prober in `container` (for benchmarks): `wait(type, name)` resolves when
   * the name answers (or, with `absent`, stops answering), asking every 2 ms.
   */
  async prober(container: string): Promise<DnsProber> {
    const key = await this.netns(container)
    return new DnsProber(
      this.u.spawnIn(this.host.ns, [
        'nsenter',
        `--net=${key}`,
        '--',
        process.execPath,
        PROBE,
        'watch',
      ]),
    )
  }
}

/** See `Daemon.prober`. */
export class DnsProber {
  #next = 0
  readonly #pending = new Map<number, (answers: string[]) => void>()
  #seen = 0

  constructor(readonly process: NsProcess) {
    process.child.stdout?.on('data', () => this.#drain())
  }

  #drain(): void {
    // NsProcess collects lines; settle the ones not seen yet.
    queueMicrotask(() => {
      while (this.#seen < this.process.lines.length) {
        const r = JSON.parse(this.process.lines[this.#seen++]!) as { id: number; answers: string[] }
        this.#pending.get(r.id)?.(r.answers)
        this.#pending.delete(r.id)
      }
    })
  }

  /** Resolves with the answers once `name` is there (or gone); rejects after `limitMs`. */
  wait(
    type: 'A' | 'AAAA' | 'PTR',
    name: string,
    want: 'present' | 'absent' = 'present',
    limitMs = 60_000,
  ): Promise<string[]> {
    const id = this.#next++
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id)
        reject(new Error(`DNS prober: ${type} ${name} not ${want} within ${limitMs} ms`))
      }, limitMs)
      this.#pending.set(id, (answers) => {
        clearTimeout(timer)
        resolve(answers)
      })
      this.process.send(JSON.stringify({ id, type, name, want }))
    })
  }

  async close(): Promise<void> {
    this.process.child.stdin?.end()
    await this.process.exited
  }
}

/**
 * Start one daemon per host, each joining the first host's agent. One after the other: several
 * daemons starting at once on a loaded machine were seen not answering within a minute.
 */
export async function startCluster(
  u: Underlay,
  opts: Omit<DaemonOptions, 'cluster'> & { cluster?: DaemonOptions['cluster'] } = {},
  hosts: Host[] = u.hosts,
): Promise<Daemon[]> {
  const first = hosts[0]!
  const ds: Daemon[] = []
  for (const h of hosts) {
    ds.push(
      await Daemon.start(u, h, {
        ...opts,
        cluster: { ...opts.cluster, join: h === first ? [] : (opts.cluster?.join ?? [first]) },
      }),
    )
  }
  return ds
}

/** Waits until every daemon's `GET /cluster/members` shows `n` alive members. */
export async function untilMembers(ds: Daemon[], n = ds.length, limitMs = 60_000): Promise<void> {
  await until(
    `every daemon to see ${n} alive members`,
    async () => {
      for (const d of ds) {
        const ms = await d.members().catch(() => [])
        if (ms.filter((m) => m.state === 'alive').length !== n) return false
      }
      return true
    },
    limitMs,
  )
}
