// Set-up of the macvlan integration tests: a "host" namespace whose LAN interface lan0 is one
// end of a veth pair whose other end (wire0) is in an "outside" namespace standing in for the
// physical network, with the router at 192.168.77.1 answering ping and TCP; a controller with
// the macvlan driver working in the host. Every namespace is lnt-macvlan-<hex>*, deleted at
// teardown even on failure; nothing touches the machine's own namespace.
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { Socket, createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { Controller, oslSandboxOS, serviceDiscovery } from '@libnetwork/controller'
import { type KVStore } from '@libnetwork/datastore'
import { macvlan } from '@libnetwork/driver-macvlan'
import { DefaultIpam } from '@libnetwork/ipam'
import { openSocketInNetns } from '@libnetwork/netlink'

const pexec = promisify(execFile)
export const sh = async (...argv: string[]): Promise<string> =>
  (await pexec(argv[0]!, argv.slice(1), { encoding: 'utf8' })).stdout

export const ROUTER = '192.168.77.1'
export const PORT = 8080

export interface Env {
  prefix: string
  host: string
  outside: string
  dir: string
  controllers: Controller[]
}

async function listNetns(prefix: string): Promise<string[]> {
  const out = await sh('ip', '-j', 'netns', 'list')
  return (JSON.parse(out.trim() || '[]') as Array<{ name: string }>)
    .map((n) => n.name)
    .filter((n) => n.startsWith(prefix))
}

export async function lanEnv(t: Test): Promise<Env> {
  const prefix = `lnt-macvlan-${randomBytes(3).toString('hex')}`
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`))
  writeFileSync(join(dir, 'host-resolv.conf'), `nameserver ${ROUTER}\n`)
  const env: Env = { prefix, host: `${prefix}-h`, outside: `${prefix}-o`, dir, controllers: [] }
  t.teardown(async () => {
    for (const c of env.controllers) await c.stop().catch(() => undefined)
    rmSync(dir, { recursive: true, force: true })
    for (const n of await listNetns(prefix))
      await sh('ip', 'netns', 'del', n).catch(() => undefined)
  })
  for (const ns of [env.host, env.outside]) {
    await sh('ip', 'netns', 'add', ns)
    await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
  }
  await sh(
    'ip',
    '-n',
    env.host,
    'link',
    'add',
    'name',
    'lan0',
    'type',
    'veth',
    'peer',
    'name',
    'wire0',
    'netns',
    env.outside,
  )
  await sh('ip', '-n', env.host, 'link', 'set', 'lan0', 'up')
  await sh('ip', '-n', env.outside, 'addr', 'add', `${ROUTER}/24`, 'dev', 'wire0')
  await sh('ip', '-n', env.outside, 'link', 'set', 'wire0', 'up')
  const server = createServer((s) => s.end(`router ${s.remoteAddress ?? '?'}\n`))
  server.listen({
    fd: openSocketInNetns(env.outside, { type: 'tcp4', address: ROUTER, port: PORT, listen: true }),
  })
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return env
}

/** A controller with the macvlan driver in the host namespace, on `store`. */
export async function startController(env: Env, store: KVStore): Promise<Controller> {
  const c = await Controller.start({
    drivers: { macvlan: macvlan({ netns: env.host }) },
    ipams: { default: () => new DefaultIpam() },
    store: new Proxy(store, {
      // the test owns the store across restarts: a controller's stop must not close it
      get(target, prop) {
        if (prop === 'close') return async () => {}
        const v = Reflect.get(target, prop, target) as unknown
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v
      },
    }),
    os: oslSandboxOS({ hostNetns: env.host }),
    namespacePrefix: `${env.prefix}-sb-`,
    discovery: serviceDiscovery({
      dir: join(env.dir, 'sandboxes'),
      hostResolvConf: join(env.dir, 'host-resolv.conf'),
    }),
  })
  env.controllers.push(c)
  return c
}

/** Whether `ns` reaches `ip` by ping: up to three single pings of one second each. */
export async function pings(ns: string, ip: string, tries = 3): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    try {
      await sh('ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', ip)
      return true
    } catch {
      // not (yet) answered
    }
  }
  return false
}

/** What the router's TCP service answers to a connection from inside `ns`. */
export function tcpFrom(ns: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = new Socket({ fd: openSocketInNetns(ns, { type: 'tcp4' }) })
    let data = ''
    s.setEncoding('utf8')
    s.setTimeout(10_000, () => s.destroy(new Error('no answer from the router')))
    s.on('data', (d: string) => (data += d))
    s.on('end', () => resolve(data.trim()))
    s.on('error', reject)
    s.connect(PORT, ROUTER)
  })
}

/** Unicast addresses lan0 carries for macvlan children (its own and multicast aside). */
export async function childMacs(env: Env): Promise<string[]> {
  const links = JSON.parse(await sh('ip', '-n', env.host, '-j', 'link', 'show', 'lan0')) as Array<{
    address: string
  }>
  const fdb = JSON.parse(
    await sh('bridge', '-n', env.host, '-j', 'fdb', 'show', 'dev', 'lan0'),
  ) as Array<{ mac: string }>
  return fdb
    .map((e) => e.mac)
    .filter((m) => m !== links[0]?.address && (parseInt(m.slice(0, 2), 16) & 1) === 0)
    .sort()
}
