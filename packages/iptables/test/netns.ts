// Test helper: a fresh network namespace named lnt-iptables-<random>, removed in teardown.
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'

export const isRoot = process.getuid?.() === 0
export const skipReason = isRoot ? false : 'needs root to create network namespaces'

// Namespaces still open when the process ends (a test killed by tap's timeout skips its
// teardown) are removed on exit.
const open = new Set<string>()
process.on('exit', () => {
  for (const name of open) {
    try {
      execFileSync('ip', ['netns', 'del', name])
    } catch {
      // already gone
    }
  }
})

export function makeNetns(t: { teardown(fn: () => void): void }): string {
  const name = `lnt-iptables-${randomBytes(4).toString('hex')}`
  execFileSync('ip', ['netns', 'add', name])
  open.add(name)
  t.teardown(() => {
    open.delete(name)
    try {
      execFileSync('ip', ['netns', 'del', name])
    } catch {
      // already gone
    }
  })
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up'])
  return name
}

export function inNetns(ns: string, argv: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns, ...argv], { encoding: 'utf8' })
}
