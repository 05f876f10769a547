import type { Test } from 'tap'
import { IP } from '@libnetwork/types'
import { Gossip, NetTransport, FaultyTransport, type GossipConfig } from '../src/index.js'

/** Short timings so failure detection takes well under a few seconds. */
export const fast: Partial<GossipConfig> = {
  probeInterval: 200,
  probeTimeout: 80,
  gossipInterval: 40,
  pushPullInterval: 2000,
  tcpTimeout: 2000,
  suspicionMult: 3,
}

export interface TestNode {
  g: Gossip
  faults: FaultyTransport
}

let counter = 0

export async function startNode(
  t: Test,
  cfg: Partial<GossipConfig> = {},
  port = 0,
): Promise<TestNode> {
  const faults = new FaultyTransport(
    new NetTransport({ bindAddr: IP.parse('127.0.0.1'), bindPort: port }),
    { seed: ++counter },
  )
  const g = new Gossip({ name: `node-${++counter}`, ...fast, ...cfg, transport: faults })
  await g.start()
  t.teardown(() => g.stop())
  return { g, faults }
}

export async function startCluster(
  t: Test,
  n: number,
  cfg: Partial<GossipConfig> | ((i: number) => Partial<GossipConfig>) = {},
): Promise<TestNode[]> {
  const nodes: TestNode[] = []
  for (let i = 0; i < n; i++) {
    nodes.push(await startNode(t, typeof cfg === 'function' ? cfg(i) : cfg))
  }
  for (const x of nodes.slice(1)) await x.g.join([nodes[0]!.g.address])
  return nodes
}

/** Wait for `cond`, checking every `stepMs`; the default bound is generous for a loaded machine. */
export async function waitFor(
  what: string,
  cond: () => boolean,
  timeoutMs = 60_000,
  stepMs = 20,
): Promise<number> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms: ${what}`)
    await new Promise((r) => setTimeout(r, stepMs))
  }
  return Date.now() - start
}

export const liveNames = (g: Gossip): string[] =>
  g
    .members()
    .map((m) => m.name)
    .sort()

export const stateOf = (g: Gossip, name: string): string | undefined => g.member(name)?.state
