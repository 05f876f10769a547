// Shared set-up of the controller integration tests: a fresh "host" namespace per test, an
// "outside" namespace standing in for the internet, a controller running against them, and
// small network tools run inside namespaces.
import { execFile, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import type { Test } from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Controller, oslSandboxOS, serviceDiscovery } from '@libnetwork/controller'
import { memoryStore, type KVStore } from '@libnetwork/datastore'
import { bridge, type BridgeDriverConfig } from '@libnetwork/driver-bridge'
import { hostDriver } from '@libnetwork/driver-host'
import { nullDriver } from '@libnetwork/driver-null'
import { DefaultIpam, type IpamFactory } from '@libnetwork/ipam'

const pexec = promisify(execFile)
const TOOL = fileURLToPath(new URL('./net-tool.mjs', import.meta.url))

export interface Env {
  /** The "host" namespace the controller works in. */
  ns: string
  /** Prefix of every namespace this test makes. */
  prefix: string
  sandboxPrefix: string
  /** Per-test directory: sandbox files and the "host" resolv.conf (nameserver 10.99.0.2). */
  dir: string
  /** Controllers started in this environment; stopped at teardown. */
  controllers: Controller[]
}

export async function sh(argv: string[], input?: string): Promise<string> {
  const p = pexec(argv[0]!, argv.slice(1), { encoding: 'utf8' })
  if (input !== undefined) p.child.stdin?.end(input)
  return (await p).stdout
}

export async function listNetns(prefix: string): Promise<string[]> {
  const out = await sh(['ip', '-j', 'netns', 'list'])
  return (JSON.parse(out.trim() || '[]') as Array<{ name: string }>)
    .map((n) => n.name)
    .filter((n) => n.startsWith(prefix))
}

/** A fresh host namespace (loopback up); it and every namespace with its prefix go at teardown. */
export async function hostEnv(t: Test): Promise<Env> {
  const prefix = `lnt-controller-${randomBytes(3).toString('hex')}`
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`))
  writeFileSync(join(dir, 'host-resolv.conf'), 'nameserver 10.99.0.2\nsearch example.test\n')
  const env: Env = { ns: prefix, prefix, sandboxPrefix: `${prefix}-sb-`, dir, controllers: [] }
  t.teardown(async () => {
    for (const c of env.controllers) await c.stop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
    for (const n of await listNetns(prefix))
      await sh(['ip', 'netns', 'del', n]).catch(() => undefined)
  })
  await sh(['ip', 'netns', 'add', env.ns])
  await sh(['ip', '-n', env.ns, 'link', 'set', 'lo', 'up'])
  return env
}

/** An "outside" namespace linked to the host by a veth: host 10.99.0.1/24, outside 10.99.0.2/24. */
export async function outside(env: Env): Promise<{ ns: string; ip: string; hostIP: string }> {
  const ns = `${env.prefix}-out`
  await sh(['ip', 'netns', 'add', ns])
  await sh(
    ['ip', '-n', env.ns, '-batch', '-'],
    [
      `link add uplink type veth peer name eth0 netns ${ns}`,
      'addr add 10.99.0.1/24 dev uplink',
      'link set uplink up',
    ].join('\n') + '\n',
  )
  await sh(
    ['ip', '-n', ns, '-batch', '-'],
    ['link set lo up', 'addr add 10.99.0.2/24 dev eth0', 'link set eth0 up'].join('\n') + '\n',
  )
  return { ns, ip: '10.99.0.2', hostIP: '10.99.0.1' }
}

/**
 * A view of `store` whose `close` does nothing: a test restarts controllers on one store (a
 * controller closes its store at stop); the test closes a real store itself.
 */
export function shared(store: KVStore): KVStore {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === 'close') return async () => {}
      const v = Reflect.get(target, prop, target) as unknown
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
    },
  })
}

export async function startController(
  env: Env,
  store: KVStore = memoryStore(),
  ipam: IpamFactory = () => new DefaultIpam(),
  bridgeConfig: BridgeDriverConfig = {},
): Promise<Controller> {
  const c = await Controller.start({
    drivers: {
      bridge: bridge(bridgeConfig, { netns: env.ns }),
      host: hostDriver(),
      null: nullDriver(),
    },
    ipams: { default: ipam },
    store: shared(store),
    os: oslSandboxOS({ hostNetns: env.ns }),
    namespacePrefix: env.sandboxPrefix,
    discovery: serviceDiscovery({
      dir: join(env.dir, 'sandboxes'),
      hostResolvConf: join(env.dir, 'host-resolv.conf'),
    }),
  })
  env.controllers.push(c)
  return c
}

/** Run a TCP server inside `ns` answering `reply`; stopped at teardown. */
export function serve(t: Test, ns: string, port: number, reply: string): Promise<void> {
  return daemon(t, ns, ['serve-tcp', String(port), reply])
}

/** Run a DNS server on `ip`:53 inside `ns` answering `<name>.outside` with `addr`. */
export function serveDns(
  t: Test,
  ns: string,
  ip: string,
  name: string,
  addr: string,
): Promise<void> {
  return daemon(t, ns, ['serve-dns', ip, name, addr])
}

async function daemon(t: Test, ns: string, args: string[]): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, TOOL, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => {
    child.kill('SIGKILL')
  })
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve())
    child.once('exit', (code) => reject(new Error(`server exited ${code}`)))
  })
}

/** Connect from inside `ns`; resolves to the reply, or to `undefined` when unreachable. */
export async function get(ns: string, host: string, port: number): Promise<string | undefined> {
  try {
    return (
      await sh(['ip', 'netns', 'exec', ns, process.execPath, TOOL, 'get-tcp', host, String(port)])
    ).trim()
  } catch {
    return undefined
  }
}

/** Ask the DNS server `server` (from inside `ns`) for `name`'s IPv4 addresses. */
export async function resolve(
  ns: string,
  server: string,
  name: string,
): Promise<string | undefined> {
  try {
    return (
      await sh(['ip', 'netns', 'exec', ns, process.execPath, TOOL, 'resolve', server, name])
    ).trim()
  } catch {
    return undefined
  }
}

/** Kernel state of a namespace worth comparing before/after: links, addresses, iptables. */
export async function kernelState(
  ns: string,
): Promise<{ links: string[]; addrs: string[]; iptables: string }> {
  const links = (
    JSON.parse(await sh(['ip', '-n', ns, '-j', 'link', 'show'])) as Array<{ ifname: string }>
  )
    .map((l) => l.ifname)
    .sort()
  const addrs = (
    JSON.parse(await sh(['ip', '-n', ns, '-j', 'addr', 'show'])) as Array<{
      ifname: string
      addr_info: Array<{ local: string; prefixlen: number }>
    }>
  )
    .flatMap((l) => l.addr_info.map((a) => `${l.ifname} ${a.local}/${a.prefixlen}`))
    .sort()
  const iptables = (await sh(['ip', 'netns', 'exec', ns, 'iptables-save']))
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]'))
    .join('\n')
  return { links, addrs, iptables }
}
