/**
 * Daemon configuration: a TOML file with upstream-like sections, then flags on top.
 *
 * ```toml
 * [daemon]
 * log_level = "info"            # debug | info | warn | error
 * default_network = "bridge"    # created at start when missing
 * default_driver = "bridge"
 * labels = ["env=dev"]
 * data_root = "/var/lib/dnet"   # the embedded store lives here
 * exec_root = "/var/run/dnet"   # socket, pid file, sandbox files
 * socket = "/var/run/dnet/dnet.sock"
 * pid_file = "/var/run/dnet/dnet.pid"
 * tcp = "10.0.0.1:2376"         # optional TCP listener: needs TLS with client certificates
 * tlsverify = true              # (Docker's names) clients present a certificate tlscacert signed
 * tlscacert = "/etc/dnet/ca.pem"
 * tlscert = "/etc/dnet/server-cert.pem"
 * tlskey = "/etc/dnet/server-key.pem"
 * insecure_tcp = false          # true: TCP without TLS, on a loopback address only (logged loudly)
 * resolv_conf = "/etc/resolv.conf"  # where containers' upstream nameservers come from
 * sandbox_prefix = "dnet-sb-"   # names of the containers' namespaces; stale ones are removed
 *
 * [bridge]                      # the bridge driver, for every bridge network
 * iptables = true               # false: no rules at all, and published ports are not served
 * ip6tables = true              # rules for IPv6 networks too
 * userland_proxy = true         # also serve published ports to host-local clients by a proxy
 *
 * [datastore.local]             # the embedded store under data_root
 * durability = "commit"         # or "sync": fsync before each request returns
 *
 * [datastore.global]            # the cluster's store: records of global-scope networks
 * provider = "etcd"
 * endpoints = ["http://127.0.0.1:2379"]
 *
 * [cluster]                     # the cluster agent: gossip membership and NetworkDB
 * bind_address = "0.0.0.0"
 * bind_port = 7946
 * join = ["10.0.0.2:7946"]
 * encryption_key = "base64 of 16, 24 or 32 bytes"
 * diagnostic_port = 2000        # NetworkDB's diagnostic server on 127.0.0.1 (off by default)
 * data_path_port = 4789         # UDP port of the overlay's VXLAN tunnels (1024-49151)
 *
 * [orchestration]               # upstream dnet's keys for the same (instead of [cluster])
 * agent = true
 * bind = "10.0.0.1"             # -> cluster.bind_address
 * peer = "10.0.0.2"             # -> cluster.join
 *
 * [plugins]                     # remote network and IPAM plugins, found by name on first use
 * socket_dirs = ["/run/docker/plugins"]                        # <name>.sock
 * spec_dirs = ["/etc/docker/plugins", "/usr/lib/docker/plugins"]  # <name>.spec, <name>.json
 * ```
 */
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'smol-toml'
import { BadRequestError, IP } from '@libnetwork/types'
import { isLevel, type Level } from './log.js'
import { tlsSettings, type TlsFiles } from './tls.js'

export interface DaemonConfig {
  logLevel: Level
  defaultNetwork: string
  defaultDriver: string
  labels: string[]
  dataRoot: string
  execRoot: string
  socket: string
  pidFile: string
  tcp?: { host: string; port: number }
  /** TLS of the TCP listener; clients must present a certificate signed by `caCert`. */
  tls?: TlsFiles
  /** Allow TCP without TLS, on a loopback address only (every local user gets root's control). */
  insecureTcp?: boolean
  /** The host resolv.conf that containers' DNS settings and the resolver's upstreams come from. */
  resolvConf: string
  /**
   * Prefix of the containers' namespace names. The daemon names them
   * `<prefix><instance id>-<sandbox id>` (the instance id is kept in the data root) and at start
   * removes those of its own instance that its store does not know.
   */
  sandboxPrefix: string
  /**
   * The daemon instance's identity (a random id kept in `<data root>/instance-id`), set by the
   * daemon for its backend: in the bridges' and veths' aliases and the containers' namespace
   * names.
   */
  instanceId?: string
  /**
   * When a write to the embedded store counts as done. `commit` (default): committed to the
   * operating system, so it survives the daemon being killed, and synced to disk within 200 ms.
   * `sync`: on disk before the request returns (one fsync per change).
   */
  localDurability: 'sync' | 'commit'
  /** The bridge driver's host-wide settings (dockerd's iptables, ip6tables, userland-proxy). */
  bridge: {
    iptables: boolean
    ip6tables: boolean
    userlandProxy: boolean
    /** Owner of the bridge driver's links: set by the daemon to its instance id. */
    owner?: string
  }
  globalStore?: { provider: 'etcd'; endpoints: string[] }
  cluster?: {
    bindAddress: string
    bindPort: number
    join: string[]
    encryptionKey?: string
    /** NetworkDB's diagnostic server on 127.0.0.1 (off when absent). */
    diagnosticPort?: number
    /**
     * UDP port of the overlay driver's VXLAN tunnels (dockerd's `--data-path-port`), the same on
     * every host of the cluster; 4789 (`DATA_PATH_PORT_DEFAULT`) when absent.
     */
    dataPathPort?: number
  }
  /** Where remote plugins are looked for (Docker's directories when absent). */
  plugins?: { socketDirs?: string[]; specDirs?: string[] }
}

/** The VXLAN UDP port when `[cluster]` names none (IANA's, and upstream's default). */
export const DATA_PATH_PORT_DEFAULT = 4789
/** The ports Docker accepts for `--data-path-port` (registered ports, not the well-known ones). */
export const DATA_PATH_PORT_MIN = 1024
export const DATA_PATH_PORT_MAX = 49151

/**
 * Check a VXLAN data path port: an integer in 1024-49151 (as Docker), other than the gossip
 * port `bindPort` (both are UDP on the same address). Throws `invalid-config` naming `key`.
 */
export function checkDataPathPort(port: unknown, key: string, bindPort?: number): number {
  if (
    typeof port !== 'number' ||
    !Number.isInteger(port) ||
    port < DATA_PATH_PORT_MIN ||
    port > DATA_PATH_PORT_MAX
  ) {
    fail(
      key,
      `must be a UDP port in ${DATA_PATH_PORT_MIN}-${DATA_PATH_PORT_MAX} (default ${DATA_PATH_PORT_DEFAULT}), got ${JSON.stringify(port)}`,
    )
  }
  if (port === bindPort)
    fail(key, `must differ from cluster.bind_port (${bindPort}): gossip uses that UDP port`)
  return port
}

export function defaults(execRoot = '/var/run/dnet', dataRoot = '/var/lib/dnet'): DaemonConfig {
  return {
    logLevel: 'info',
    defaultNetwork: 'bridge',
    defaultDriver: 'bridge',
    labels: [],
    dataRoot,
    execRoot,
    socket: join(execRoot, 'dnet.sock'),
    pidFile: join(execRoot, 'dnet.pid'),
    resolvConf: '/etc/resolv.conf',
    sandboxPrefix: 'dnet-sb-',
    localDurability: 'commit',
    bridge: { iptables: true, ip6tables: true, userlandProxy: true },
  }
}

function fail(key: string, what: string): never {
  throw new BadRequestError('invalid-config', `config: ${key} ${what}`, { details: { key } })
}

type Table = Record<string, unknown>
const str = (t: Table, k: string, where: string): string | undefined => {
  const v = t[k]
  if (v === undefined) return undefined
  if (typeof v !== 'string' || v === '') fail(`${where}.${k}`, 'must be a non-empty string')
  return v
}
const bool = (t: Table, k: string, where: string): boolean | undefined => {
  const v = t[k]
  if (v === undefined) return undefined
  if (typeof v !== 'boolean') fail(`${where}.${k}`, 'must be true or false')
  return v
}
const strList = (t: Table, k: string, where: string): string[] | undefined => {
  const v = t[k]
  if (v === undefined) return undefined
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string'))
    fail(`${where}.${k}`, 'must be a list of strings')
  return v as string[]
}
const table = (t: Table, k: string, where: string): Table => {
  const v = t[k]
  if (v === undefined) return {}
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    fail(`${where}${k}`, 'must be a table')
  return v as Table
}
function known(t: Table, keys: string[], where: string): void {
  for (const k of Object.keys(t))
    if (!keys.includes(k)) fail(`${where}${k}`, 'is not a known setting')
}

/** A namespace name prefix: short, and only characters safe in a file name. */
export function checkPrefix(prefix: string, key: string): string {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,31}$/.test(prefix)) fail(key, 'must be 1-32 of [a-zA-Z0-9_.-]')
  return prefix
}

/** Parse "host:port" for the TCP listener. */
export function parseHostPort(text: string, key = 'tcp'): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text)
  const host = m?.[1] ?? m?.[2]
  const port = Number(m?.[3])
  if (!m || !host || !IP.isValid(host) || port > 65535)
    fail(key, `must be IP:PORT, got ${JSON.stringify(text)}`)
  return { host, port }
}

/** Parse TOML text into a config over the defaults. Unknown keys are errors, not silently ignored. */
export function parseConfig(text: string, base: DaemonConfig = defaults()): DaemonConfig {
  let doc: Table
  try {
    doc = parse(text)
  } catch (cause) {
    throw new BadRequestError(
      'invalid-config',
      `config: not valid TOML: ${(cause as Error).message}`,
      { cause },
    )
  }
  known(doc, ['title', 'daemon', 'bridge', 'datastore', 'cluster', 'orchestration', 'plugins'], '')
  const cfg: DaemonConfig = { ...base }
  const d = table(doc, 'daemon', '')
  known(
    d,
    [
      'log_level',
      'debug',
      'default_network',
      'default_driver',
      'labels',
      'data_root',
      'exec_root',
      'socket',
      'pid_file',
      'tcp',
      'resolv_conf',
      'sandbox_prefix',
      'tlsverify',
      'tlscacert',
      'tlscert',
      'tlskey',
      'insecure_tcp',
    ],
    'daemon.',
  )
  const level = str(d, 'log_level', 'daemon')
  if (level !== undefined)
    cfg.logLevel = isLevel(level)
      ? level
      : fail('daemon.log_level', 'must be debug, info, warn or error')
  if (d.debug === true) cfg.logLevel = 'debug'
  cfg.defaultNetwork = str(d, 'default_network', 'daemon') ?? cfg.defaultNetwork
  cfg.defaultDriver = str(d, 'default_driver', 'daemon') ?? cfg.defaultDriver
  cfg.labels = strList(d, 'labels', 'daemon') ?? cfg.labels
  const execRoot = str(d, 'exec_root', 'daemon')
  if (execRoot) {
    cfg.execRoot = execRoot
    cfg.socket = join(execRoot, 'dnet.sock')
    cfg.pidFile = join(execRoot, 'dnet.pid')
  }
  cfg.dataRoot = str(d, 'data_root', 'daemon') ?? cfg.dataRoot
  cfg.socket = str(d, 'socket', 'daemon') ?? cfg.socket
  cfg.pidFile = str(d, 'pid_file', 'daemon') ?? cfg.pidFile
  cfg.resolvConf = str(d, 'resolv_conf', 'daemon') ?? cfg.resolvConf
  const prefix = str(d, 'sandbox_prefix', 'daemon')
  if (prefix !== undefined) cfg.sandboxPrefix = checkPrefix(prefix, 'daemon.sandbox_prefix')
  const tcp = str(d, 'tcp', 'daemon')
  if (tcp) cfg.tcp = parseHostPort(tcp, 'daemon.tcp')
  const tls = tlsSettings(
    {
      verify: bool(d, 'tlsverify', 'daemon'),
      caCert: str(d, 'tlscacert', 'daemon'),
      cert: str(d, 'tlscert', 'daemon'),
      key: str(d, 'tlskey', 'daemon'),
    },
    {
      verify: 'daemon.tlsverify',
      caCert: 'daemon.tlscacert',
      cert: 'daemon.tlscert',
      key: 'daemon.tlskey',
    },
  )
  if (tls) cfg.tls = tls
  const insecure = bool(d, 'insecure_tcp', 'daemon')
  if (insecure !== undefined) cfg.insecureTcp = insecure

  const br = table(doc, 'bridge', '')
  known(br, ['iptables', 'ip6tables', 'userland_proxy'], 'bridge.')
  cfg.bridge = {
    iptables: bool(br, 'iptables', 'bridge') ?? cfg.bridge.iptables,
    ip6tables: bool(br, 'ip6tables', 'bridge') ?? cfg.bridge.ip6tables,
    userlandProxy: bool(br, 'userland_proxy', 'bridge') ?? cfg.bridge.userlandProxy,
  }

  const ds = table(doc, 'datastore', '')
  known(ds, ['local', 'global'], 'datastore.')
  const local = table(ds, 'local', 'datastore.')
  known(local, ['durability'], 'datastore.local.')
  const durability = str(local, 'durability', 'datastore.local')
  if (durability !== undefined) {
    if (durability !== 'sync' && durability !== 'commit')
      fail('datastore.local.durability', 'must be "sync" or "commit"')
    cfg.localDurability = durability
  }
  const g = table(ds, 'global', 'datastore.')
  if (Object.keys(g).length > 0) {
    known(g, ['provider', 'endpoints'], 'datastore.global.')
    if (str(g, 'provider', 'datastore.global') !== 'etcd')
      fail('datastore.global.provider', 'must be "etcd"')
    const endpoints = strList(g, 'endpoints', 'datastore.global') ?? []
    if (endpoints.length === 0)
      fail('datastore.global.endpoints', 'must list at least one etcd endpoint')
    cfg.globalStore = { provider: 'etcd', endpoints }
  }

  const c = table(doc, 'cluster', '')
  if (Object.keys(c).length > 0) {
    known(
      c,
      ['bind_address', 'bind_port', 'join', 'encryption_key', 'diagnostic_port', 'data_path_port'],
      'cluster.',
    )
    const bindAddress = str(c, 'bind_address', 'cluster') ?? '0.0.0.0'
    if (!IP.isValid(bindAddress)) fail('cluster.bind_address', 'must be an IP address')
    const bindPort = c.bind_port ?? 7946
    if (
      typeof bindPort !== 'number' ||
      !Number.isInteger(bindPort) ||
      bindPort < 0 ||
      bindPort > 65535
    ) {
      fail('cluster.bind_port', 'must be a port number')
    }
    const key = str(c, 'encryption_key', 'cluster')
    if (key !== undefined && ![16, 24, 32].includes(Buffer.from(key, 'base64').length)) {
      fail('cluster.encryption_key', 'must be base64 of 16, 24 or 32 bytes')
    }
    const diag = c.diagnostic_port
    if (
      diag !== undefined &&
      (typeof diag !== 'number' || !Number.isInteger(diag) || diag < 0 || diag > 65535)
    ) {
      fail('cluster.diagnostic_port', 'must be a port number')
    }
    const dataPathPort =
      c.data_path_port === undefined
        ? undefined
        : checkDataPathPort(c.data_path_port, 'cluster.data_path_port', bindPort)
    cfg.cluster = {
      bindAddress,
      bindPort,
      join: strList(c, 'join', 'cluster') ?? [],
      ...(key ? { encryptionKey: key } : {}),
      ...(diag !== undefined ? { diagnosticPort: diag } : {}),
      ...(dataPathPort !== undefined ? { dataPathPort } : {}),
    }
  }

  const o = table(doc, 'orchestration', '')
  if (Object.keys(o).length > 0) {
    known(o, ['agent', 'bind', 'peer'], 'orchestration.')
    const agent = bool(o, 'agent', 'orchestration') ?? false
    const bind = str(o, 'bind', 'orchestration')
    const peer = str(o, 'peer', 'orchestration')
    if (bind !== undefined && !IP.isValid(bind)) fail('orchestration.bind', 'must be an IP address')
    if (agent && cfg.cluster) fail('orchestration', 'give [cluster] or [orchestration], not both')
    if (agent) {
      cfg.cluster = { bindAddress: bind ?? '0.0.0.0', bindPort: 7946, join: peer ? [peer] : [] }
    }
  }

  const pl = table(doc, 'plugins', '')
  if (Object.keys(pl).length > 0) {
    known(pl, ['socket_dirs', 'spec_dirs'], 'plugins.')
    const socketDirs = strList(pl, 'socket_dirs', 'plugins')
    const specDirs = strList(pl, 'spec_dirs', 'plugins')
    cfg.plugins = { ...(socketDirs ? { socketDirs } : {}), ...(specDirs ? { specDirs } : {}) }
  }
  return cfg
}

export function loadConfig(path: string, base?: DaemonConfig): DaemonConfig {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (cause) {
    throw new BadRequestError(
      'invalid-config',
      `config: cannot read ${path}: ${(cause as Error).message}`,
      { cause },
    )
  }
  return parseConfig(text, base)
}
