// Shared by the two-daemon tests: the kernel state a daemon made, a daemon that must be
// refused, and a first daemon with a network, a container and a published port.
import type { Test } from 'tap'
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DNET, Host, namespaces, sh } from './harness.js'

/** What the first daemon made that a second one could wreck: links, rules, namespaces. */
export async function kernelState(h: Host): Promise<string> {
  const links = (JSON.parse(await sh(['ip', '-n', h.ns, '-j', 'link', 'show'])) as any[])
    .map((l) => `${l.ifname} ${l.master ?? ''} ${l.ifalias ?? ''}`)
    .sort()
  const rules = (await sh(['ip', 'netns', 'exec', h.ns, 'iptables-save']))
    .split('\n')
    .filter((l) => l.startsWith('-A') || l.startsWith(':'))
    .map((l) => l.replace(/\[\d+:\d+\]/, ''))
    .sort()
  return [...links, ...rules, ...(await namespaces(h.prefix)).sort()].join('\n')
}

/**
 * Run a daemon expected to be refused: it must exit on its own (killed at teardown otherwise,
 * and then the test fails on the exit code).
 */
export async function refusedDaemon(
  t: Test,
  ns: string,
  args: string[],
): Promise<{ code: number | null; err: string }> {
  const child = spawn('nsenter', [`--net=/var/run/netns/${ns}`, DNET, '-d', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  })
  t.teardown(() => child.kill('SIGKILL'))
  let err = ''
  child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d))
  const code = await new Promise<number | null>((resolve) => {
    child.once('exit', (c) => resolve(c))
    // a daemon that was not refused comes up and keeps running: stop it so the test can fail
    const check = setInterval(() => {
      if (err.includes('dnet daemon ready')) child.kill('SIGTERM')
    }, 100)
    child.once('exit', () => clearInterval(check))
  })
  return { code, err }
}

/**
 * Flags of a daemon without the userland proxy: published ports are DNAT rules only (a proxy
 * start can take over its 10 s on a loaded machine, and these tests are about rules).
 */
export const noProxy = (h: Host): string[] => ['-c', join(h.dir, 'no-proxy.toml')]

/** A first daemon with a network, a container on it and a published port. */
export async function busyHost(t: Test): Promise<Host> {
  const h = await Host.create(t)
  writeFileSync(noProxy(h)[1]!, '[bridge]\nuserland_proxy = false\n')
  await h.start([...noProxy(h), '--default-network', '', '--log-level', 'info'])
  await h.ok('network', 'create', '--subnet', '10.77.0.0/24', 'app')
  await h.ok('container', 'create', 'c1')
  await h.ok('service', 'publish', '-p', '8080:80', 'web.app')
  await h.ok('service', 'attach', 'c1', 'web.app')
  return h
}
