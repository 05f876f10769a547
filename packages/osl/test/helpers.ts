// Helpers for the privileged tests: a throwaway "host" namespace, a private run dir for
// sandboxes, and iproute2's JSON view for independent checks.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Netlink, createNetns, deleteNetns, listNetns, netnsExists } from '@libnetwork/netlink'
import { Osl, type OslOptions } from '../src/index.js'

interface Teardown {
  teardown(fn: () => void | Promise<void>): void
}

export const rand = (): string => randomBytes(3).toString('hex')

/** An Osl whose host side is a new test namespace and whose run dir is private. */
export function testOsl(t: Teardown, options: Omit<OslOptions, 'runDir' | 'hostNetns'> = {}) {
  const hostName = `lnt-osl-host-${rand()}`
  createNetns(hostName)
  const runDir = mkdtempSync(join(tmpdir(), 'lnt-osl-run-'))
  const hostPath = `/var/run/netns/${hostName}`
  const osl = new Osl({ ...options, runDir, hostNetns: hostPath })
  const host = Netlink.open({ netns: hostName })
  t.teardown(() => {
    host.close()
    osl.close()
    for (const k of listNetns({ runDir })) deleteNetns(k, { runDir })
    rmSync(runDir, { recursive: true, force: true })
    if (netnsExists(hostName)) deleteNetns(hostName)
  })
  return { osl, host, hostName, hostPath, runDir }
}

export function ipJson<T = Record<string, unknown>[]>(nsPath: string, ...args: string[]): T {
  const out = execFileSync('nsenter', [`--net=${nsPath}`, 'ip', '-j', ...args], {
    encoding: 'utf8',
  })
  return JSON.parse(out || '[]') as T
}

export interface IpAddrLink {
  ifname: string
  address: string
  mtu: number
  flags: string[]
  operstate: string
  addr_info: { local: string; prefixlen: number; family: string; scope: string }[]
}

/** Interface names in a namespace, by `ip -j link`. */
export function linkNames(nsPath: string): string[] {
  return ipJson<{ ifname: string }[]>(nsPath, 'link', 'show').map((l) => l.ifname)
}
