// Shared by the kernel tests: a "LAN" (a host namespace whose parent interface is one end of a
// veth pair, the other end in an "outside" namespace holding the router), containers made by
// the sandbox layer, and probes of what reaches what. Every namespace is lnt-macvlan-*,
// deleted at the test's teardown even on failure; nothing touches the machine's namespace.
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createServer, Socket, type Server } from 'node:net'
import { promisify } from 'node:util'
import type { Driver, JoinResult } from '@libnetwork/driverapi'
import { openSocketInNetns } from '@libnetwork/netlink'
import { Osl, type Sandbox } from '@libnetwork/osl'
import { IP, IPNet, InterfaceAddress, noopLogger } from '@libnetwork/types'
import { macvlan, parseMacvlanOptions } from '../src/index.js'

const pexec = promisify(execFile)

export const sh = async (...argv: string[]): Promise<string> =>
  (await pexec(argv[0]!, argv.slice(1), { encoding: 'utf8' })).stdout

export const ROUTER = IP.parse('192.168.77.1')
export const ROUTER6 = IP.parse('fd77::1')
export const SUBNET = IPNet.parse('192.168.77.0/24')
export const SUBNET6 = IPNet.parse('fd77::/64')
export const TCP_PORT = 8080

/** A 64-character id made of one repeated character. */
export const id = (c: string): string => c.repeat(64)

export interface Lan {
  /** The "host" namespace: the driver works here; its `lan0` is the parent. */
  host: string
  /** The "physical network": `wire0` with the router's addresses, serving TCP. */
  outside: string
  parent: 'lan0'
  osl: Osl
  /** A new container (sandbox) named `<host>-<name>`, destroyed at teardown. */
  container(name: string): Sandbox
  /** A driver working in the host namespace (stopped at teardown). */
  driver(): Driver
}

async function netns(t: Test, name: string): Promise<string> {
  t.teardown(() => sh('ip', 'netns', 'del', name).catch(() => undefined))
  await sh('ip', 'netns', 'add', name)
  await sh('ip', '-n', name, 'link', 'set', 'lo', 'up')
  return name
}

/** A router that answers TCP with "router <client address>" and closes, inside `ns`. */
function router(t: Test, ns: string): Server {
  const server = createServer((s) => s.end(`router ${s.remoteAddress ?? '?'}\n`))
  server.listen({
    fd: openSocketInNetns(ns, {
      type: 'tcp4',
      address: ROUTER.toString(),
      port: TCP_PORT,
      listen: true,
    }),
  })
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return server
}

export async function lan(t: Test, o: { mtu?: number } = {}): Promise<Lan> {
  const base = `lnt-macvlan-${randomBytes(3).toString('hex')}`
  const host = await netns(t, `${base}-h`)
  const outside = await netns(t, `${base}-o`)
  const mtu = String(o.mtu ?? 1500)
  await sh(
    'ip',
    '-n',
    host,
    'link',
    'add',
    'name',
    'lan0',
    'mtu',
    mtu,
    'type',
    'veth',
    'peer',
    'name',
    'wire0',
    'mtu',
    mtu,
    'netns',
    outside,
  )
  await sh('ip', '-n', host, 'link', 'set', 'lan0', 'up')
  await sh('ip', '-n', outside, 'addr', 'add', `${ROUTER.toString()}/24`, 'dev', 'wire0')
  await sh('ip', '-n', outside, 'addr', 'add', `${ROUTER6.toString()}/64`, 'dev', 'wire0', 'nodad')
  await sh('ip', '-n', outside, 'link', 'set', 'wire0', 'up')
  router(t, outside)
  const osl = new Osl({ runDir: '/var/run/netns', hostNetns: `/var/run/netns/${host}` })
  t.teardown(async () => {
    await osl.settled()
    osl.close()
  })
  return {
    host,
    outside,
    parent: 'lan0',
    osl,
    container(name) {
      const key = `${base}-${name}`
      t.teardown(() => sh('ip', 'netns', 'del', key).catch(() => undefined))
      const sb = osl.createSandbox(key)
      t.teardown(() => {
        try {
          sb.destroy({ moveBack: false })
        } catch {
          // already destroyed by the test
        }
      })
      return sb
    },
    driver() {
      const d = macvlan({ netns: host })({ logger: noopLogger })
      t.teardown(() => d.stop())
      return d
    },
  }
}

/** A createNetwork request on the LAN's subnets (IPv6 too when asked). */
export function netReq(
  networkId: string,
  options: Record<string, unknown>,
  o: { v6?: boolean; internal?: boolean; subnet?: string; gateway?: string } = {},
) {
  const pool = o.subnet ? IPNet.parse(o.subnet) : SUBNET
  const gw = o.gateway ? IP.parse(o.gateway) : o.subnet ? undefined : ROUTER
  return {
    networkId,
    name: networkId.slice(0, 8),
    options: parseMacvlanOptions(options),
    ipv4: [{ pool, ...(gw ? { gateway: InterfaceAddress.of(gw, pool.prefix) } : {}) }],
    ipv6: o.v6 ? [{ pool: SUBNET6, gateway: InterfaceAddress.of(ROUTER6, 64) }] : [],
    enableIPv6: o.v6 === true,
    internal: o.internal === true,
    labels: {},
  }
}

/**
 * What the controller does for one container: createEndpoint, join, and the sandbox layer's
 * half (rename the child born inside, MAC, addresses, default routes). Returns the join result.
 */
export async function attach(
  d: Driver,
  sb: Sandbox,
  networkId: string,
  endpointId: string,
  address: string,
  address6?: string,
): Promise<JoinResult> {
  const ref = { networkId, endpointId }
  const { iface } = await d.createEndpoint({
    ...ref,
    iface: {
      address: InterfaceAddress.parse(address),
      ...(address6 ? { addressIPv6: InterfaceAddress.parse(address6) } : {}),
    },
    options: {},
  })
  const res = await d.join({ ...ref, sandboxKey: sb.info().path, options: {} })
  const itf = res.interfaces[0]!
  sb.join({
    srcName: itf.srcName,
    inSandbox: itf.inSandbox === true,
    dstPrefix: itf.dstPrefix,
    ...(iface.mac ? { mac: iface.mac } : {}),
    addresses: [iface.address, iface.addressIPv6].filter((a) => a !== undefined),
    ...(res.gateway ? { gateway: res.gateway } : {}),
    ...(res.gatewayIPv6 ? { gatewayV6: res.gatewayIPv6 } : {}),
  })
  return res
}

/**
 * Whether `ns` reaches `ip` by ping: up to `tries` single pings of one second each (the first
 * may be spent on neighbour discovery). A condition, not a timing.
 */
export async function pings(ns: string, ip: IP | string, tries = 3): Promise<boolean> {
  const cmd = String(ip).includes(':') ? ['ping', '-6'] : ['ping']
  for (let i = 0; i < tries; i++) {
    try {
      await sh('ip', 'netns', 'exec', ns, ...cmd, '-c', '1', '-W', '1', String(ip))
      return true
    } catch {
      // not (yet) answered
    }
  }
  return false
}

/** What the router's TCP service answers to a connection from inside `ns`. */
export function tcpFrom(ns: string, ip: IP = ROUTER, port = TCP_PORT): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = new Socket({ fd: openSocketInNetns(ns, { type: 'tcp4' }) })
    let data = ''
    s.setEncoding('utf8')
    s.setTimeout(10_000, () => s.destroy(new Error('no answer from the router')))
    s.on('data', (d: string) => (data += d))
    s.on('end', () => resolve(data.trim()))
    s.on('error', reject)
    s.connect(port, ip.toString())
  })
}

/** The link names of a namespace, sorted. */
export async function linkNames(ns: string): Promise<string[]> {
  return (await links(ns)).map((l) => l.ifname).sort()
}

/** Links of a namespace as `ip -d -j link` reports them. */
export async function links(ns: string): Promise<
  Array<{
    ifname: string
    mtu: number
    address: string
    link?: string
    linkinfo?: { info_kind?: string; info_data?: { mode?: string } }
  }>
> {
  return JSON.parse(await sh('ip', '-n', ns, '-d', '-j', 'link', 'show')) as never
}

/** Unicast addresses the parent carries for macvlan children (its own and multicast aside). */
export async function childMacs(ns: string, parent: string): Promise<string[]> {
  const own = (await links(ns)).find((l) => l.ifname === parent)?.address
  const fdb = JSON.parse(
    await sh('bridge', '-n', ns, '-j', 'fdb', 'show', 'dev', parent),
  ) as Array<{
    mac: string
  }>
  return fdb
    .map((e) => e.mac)
    .filter((m) => m !== own && (parseInt(m.slice(0, 2), 16) & 1) === 0)
    .sort()
}

/** The default routes inside `ns` (IPv4 and IPv6). */
export async function defaultRoutes(ns: string): Promise<string[]> {
  const r4 = (await sh('ip', '-n', ns, 'route', 'show', 'default')).trim()
  const r6 = (await sh('ip', '-n', ns, '-6', 'route', 'show', 'default')).trim()
  return [r4, r6].filter((r) => r !== '')
}

/** The compliance suite's n-th network: parent lan0, its own /24 (they share the parent). */
export function complianceNetwork(n: number) {
  return netReq(String(n + 1).repeat(64), { parent: 'lan0' }, { subnet: `192.168.${80 + n}.0/24` })
}

/** The compliance suite's n-th endpoint of a network: .2 + n of its subnet. */
export function complianceEndpoint(net: ReturnType<typeof complianceNetwork>, n: number) {
  const pool = net.ipv4[0]!.pool
  return {
    networkId: net.networkId,
    endpointId: `${String.fromCharCode(97 + n)}${n}`.repeat(32),
    iface: { address: InterfaceAddress.of(pool.at(2 + n), pool.prefix) },
    options: {},
  }
}
