// Shared by the kernel tests: a shell helper, throw-away namespaces and views of their state.
import type { Test } from 'tap'
import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { promisify } from 'node:util'

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
