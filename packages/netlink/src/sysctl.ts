/**
 * Kernel settings under /proc/sys. Files under /proc/sys/net belong to the network
 * namespace of the thread that opens them, so each access opens the file inside `netns`.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { BadRequestError } from '@libnetwork/types'
import { errnoError } from './errors.js'
import { type NetnsOptions, type NetnsRef, withNetns } from './netns.js'
import { checkIfName } from './validate.js'

export interface SysctlOptions extends NetnsOptions {
  netns?: NetnsRef
}

/** Dotted (`net.ipv4.ip_forward`) or slashed (`net/ipv4/ip_forward`) key → /proc/sys path. */
export function sysctlPath(key: string): string {
  if (typeof key !== 'string' || !/^[A-Za-z0-9_.\-/]+$/.test(key) || key.includes('..')) {
    throw new BadRequestError('invalid-sysctl', `invalid sysctl key ${JSON.stringify(key)}`, {
      details: { key },
    })
  }
  return '/proc/sys/' + (key.includes('/') ? key : key.replace(/\./g, '/'))
}

function inNs<T>(options: SysctlOptions, fn: () => T): T {
  return options.netns === undefined ? fn() : withNetns(options.netns, fn, options)
}

function fsError(err: unknown, what: string, key: string): Error {
  const e = err as NodeJS.ErrnoException
  return typeof e.errno === 'number' ? errnoError(-e.errno, what, { key }) : (err as Error)
}

export function getSysctl(key: string, options: SysctlOptions = {}): string {
  const path = sysctlPath(key)
  try {
    return inNs(options, () => readFileSync(path, 'utf8')).trim()
  } catch (err) {
    throw fsError(err, `cannot read sysctl ${key}`, key)
  }
}

export function setSysctl(key: string, value: string | number, options: SysctlOptions = {}): void {
  const path = sysctlPath(key)
  try {
    inNs(options, () => writeFileSync(path, String(value)))
  } catch (err) {
    throw fsError(err, `cannot set sysctl ${key} to ${String(value)}`, key)
  }
}

const onOff = (v: boolean): string => (v ? '1' : '0')

/** net.ipv4.ip_forward (and net.ipv6.conf.all.forwarding with `ipv6`). */
export function setIPForward(
  enabled: boolean,
  options: SysctlOptions & { ipv6?: boolean } = {},
): void {
  setSysctl(
    options.ipv6 ? 'net/ipv6/conf/all/forwarding' : 'net/ipv4/ip_forward',
    onOff(enabled),
    options,
  )
}

/** net.ipv4.conf.<iface>.route_localnet: let 127/8 traffic be routed (for DNAT to loopback). */
export function setRouteLocalnet(
  iface: string,
  enabled: boolean,
  options: SysctlOptions = {},
): void {
  setSysctl(`net/ipv4/conf/${checkIfName(iface)}/route_localnet`, onOff(enabled), options)
}

/** net.bridge.bridge-nf-call-iptables / -ip6tables (needs the br_netfilter module). */
export function setBridgeNfCallIptables(
  enabled: boolean,
  options: SysctlOptions & { ipv6?: boolean } = {},
): void {
  setSysctl(`net/bridge/bridge-nf-call-ip${options.ipv6 ? '6' : ''}tables`, onOff(enabled), options)
}

/** A per-interface setting: net.ipv4|ipv6.conf.<iface>.<name>. */
export function setInterfaceSysctl(
  iface: string,
  name: string,
  value: string | number,
  options: SysctlOptions & { family?: 4 | 6 } = {},
): void {
  if (typeof name !== 'string' || !/^[a-z0-9_]+$/.test(name)) {
    throw new BadRequestError('invalid-sysctl', `invalid interface setting ${JSON.stringify(name)}`)
  }
  setSysctl(`net/ipv${options.family ?? 4}/conf/${checkIfName(iface)}/${name}`, value, options)
}

export function getInterfaceSysctl(
  iface: string,
  name: string,
  options: SysctlOptions & { family?: 4 | 6 } = {},
): string {
  if (typeof name !== 'string' || !/^[a-z0-9_]+$/.test(name)) {
    throw new BadRequestError('invalid-sysctl', `invalid interface setting ${JSON.stringify(name)}`)
  }
  return getSysctl(`net/ipv${options.family ?? 4}/conf/${checkIfName(iface)}/${name}`, options)
}
