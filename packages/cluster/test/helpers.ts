// Shared by the agent tests: agents on loopback with a fast failure-detection profile, a free
// port, and waiting on a condition (bounded, so a broken build fails instead of hanging).
import { createServer } from 'node:net'
import { createSocket } from 'node:dgram'
import { IP } from '@libnetwork/types'
import { ClusterAgent, type ClusterAgentConfig } from '../src/index.js'

export const LOOPBACK = IP.parse('127.0.0.1')

/** memberlist's loopback profile: quick probes, short suspicion. */
export const FAST = {
  probeInterval: 200,
  probeTimeout: 100,
  gossipInterval: 100,
  suspicionMult: 3,
  pushPullInterval: 2_000,
} as const

export interface Teardown {
  teardown(fn: () => unknown): void
}

/** A started agent on 127.0.0.1 (any free port), stopped at teardown. */
export async function agent(
  t: Teardown,
  config: ClusterAgentConfig = {},
  start = true,
): Promise<ClusterAgent> {
  const a = new ClusterAgent({
    bindAddress: LOOPBACK,
    port: 0,
    gossip: FAST,
    ...config,
  })
  t.teardown(() => a.stop())
  if (start) await a.start()
  return a
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = createServer()
      s.once('error', reject)
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port
        s.close(() => resolve(p))
      })
    })
    const free = await new Promise<boolean>((resolve) => {
      const u = createSocket('udp4')
      u.once('error', () => resolve(false))
      u.bind(port, '127.0.0.1', () => u.close(() => resolve(true)))
    })
    if (free) return port
  }
}

/** Resolves when `cond()` holds; checks every 20 ms, fails after `limitMs` saying what it waited for. */
export async function until(what: string, cond: () => boolean, limitMs = 60_000): Promise<void> {
  const end = Date.now() + limitMs
  while (!cond()) {
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const alive = (a: ClusterAgent): string[] =>
  a
    .members()
    .filter((m) => m.state === 'alive')
    .map((m) => m.name)
    .sort()
