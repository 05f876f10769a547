// Shared by the kernel tests: a shell helper, throw-away namespaces and views of their state.
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { IPNet, InterfaceAddress } from '@libnetwork/types'
import { parseBridgeOptions } from '../src/index.js'

const pexec = promisify(execFile)

export const sh = async (...argv: string[]): Promise<string> =>
  (await pexec(argv[0]!, argv.slice(1), { encoding: 'utf8' })).stdout

/** A new namespace `lnt-bridge-<hex>` with loopback up, deleted at the test's teardown. */
export async function freshNs(t: Test, name?: string): Promise<string> {
  const ns = name ?? `lnt-bridge-${randomBytes(4).toString('hex')}`
  t.teardown(() => sh('ip', 'netns', 'del', ns).catch(() => undefined))
  await sh('ip', 'netns', 'add', ns)
  await sh('ip', '-n', ns, 'link', 'set', 'lo', 'up')
  return ns
}

/** The namespace's iptables (or ip6tables) rules, without comments and counters. */
export const save = async (ns: string, family: 4 | 6 = 4): Promise<string> =>
  (await sh('ip', 'netns', 'exec', ns, family === 4 ? 'iptables-save' : 'ip6tables-save'))
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
    .join('\n')

/** The TCP listening addresses in the namespace, sorted. */
export const listening = async (ns: string): Promise<string[]> =>
  (await sh('ip', 'netns', 'exec', ns, 'ss', '-Hltn'))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(/\s+/)[3]!)
    .sort()

/** A 64-character id made of one repeated character. */
export const id = (c: string): string => c.repeat(64)

/** A createNetwork request: an IPv4 pool (gateway .1), an IPv6 one if given, bridge options. */
export function netReq(
  networkId: string,
  v4: string,
  o: { v6?: string; options?: Record<string, unknown> } = {},
) {
  const p4 = IPNet.parse(v4)
  const p6 = o.v6 ? IPNet.parse(o.v6) : undefined
  return {
    networkId,
    name: 'n',
    options: parseBridgeOptions(o.options ?? {}),
    ipv4: [{ pool: p4, gateway: InterfaceAddress.of(p4.at(1), p4.prefix) }],
    ipv6: p6 ? [{ pool: p6, gateway: InterfaceAddress.of(p6.at(1), p6.prefix) }] : [],
    enableIPv6: p6 !== undefined,
    internal: false,
    labels: {},
  }
}
