// Benchmark M1 at the agent's layer: N hosts, one process each, on loopback with the agent's
// default (NetworkDB) timing. From the put of an endpoint_table entry on host A until the
// onRecords callback has fired on every other host; median over 20 endpoints. Writes
// bench-results/cluster.json.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { median, percentile, writeResults } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'

const NODE = fileURLToPath(new URL('./node.mjs', import.meta.url))
const SIZES = (process.env.CLUSTER_BENCH_SIZES ?? '3,10').split(',').map(Number)
const COUNT = 20

interface Reply {
  id: number
  error?: string
  [k: string]: unknown
}

class Host {
  readonly proc: ChildProcess
  readonly ready: Promise<void>
  #id = 0
  readonly #pending = new Map<number, (r: Reply) => void>()

  constructor(readonly name: string) {
    this.proc = fork(NODE, [name], { execArgv: [], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.ready = new Promise((resolve) => {
      this.proc.on('message', (m: Reply & { ready?: boolean }) => {
        if (m.ready) return resolve()
        this.#pending.get(m.id)?.(m)
        this.#pending.delete(m.id)
      })
    })
  }

  async call(cmd: string, args: Record<string, unknown> = {}): Promise<Reply> {
    const id = ++this.#id
    const r = await new Promise<Reply>((resolve) => {
      this.#pending.set(id, resolve)
      this.proc.send({ id, cmd, ...args })
    })
    if (r.error) throw new Error(`${this.name} ${cmd}: ${r.error}`)
    return r
  }
}

async function until(f: () => Promise<boolean>, what: string): Promise<void> {
  const end = Date.now() + 60_000
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function m1(n: number): Promise<number[]> {
  const hosts = Array.from({ length: n }, (_, i) => new Host(`host${i}`))
  try {
    await Promise.all(hosts.map((h) => h.ready))
    const [a, ...others] = hosts as [Host, ...Host[]]
    const seed = (await a.call('start')).address as string
    await Promise.all(others.map((h) => h.call('start')))
    for (const h of others) await h.call('join', { seeds: [seed] })
    await until(
      async () =>
        (await Promise.all(hosts.map((h) => h.call('alive')))).every((r) => r.alive === n),
      'membership',
    )
    // Every host has an endpoint on the network (so it is in the group), then warm up A's path.
    for (const [i, h] of hosts.entries())
      await h.call('announce', {
        network: 'net1',
        endpointId: `base${i}`,
        ep: `base${i}`,
        ip: `10.9.1.${i + 2}`,
      })
    await Promise.all(others.map((h) => h.call('wait', { ep: 'base0' })))
    const samples: number[] = []
    for (let i = 0; i < COUNT; i++) {
      const ep = `c${i}`
      const waits = others.map((h) => h.call('wait', { ep }))
      const { t0 } = await a.call('announce', {
        network: 'net1',
        endpointId: `e${i}`,
        ep,
        ip: `10.9.0.${i + 2}`,
      })
      const at = (await Promise.all(waits)).map((r) => r.at as number)
      samples.push(Math.max(...at) - (t0 as number))
    }
    await Promise.all(hosts.map((h) => h.call('stop')))
    return samples
  } finally {
    for (const h of hosts) h.proc.kill('SIGKILL')
  }
}

const results: BenchResult[] = []
for (const n of SIZES) {
  const s = await m1(n)
  results.push({
    id: `M1.n${n}`,
    name: `agent layer, ${n} hosts on loopback: put of an endpoint_table entry on A until onRecords fired on every other host, median of ${COUNT} (ms)`,
    value: median(s),
    unit: 'ms',
  })
  results.push({
    id: `M1.n${n}.p90`,
    name: `the same, 90th percentile (ms)`,
    value: percentile(s, 90),
    unit: 'ms',
  })
}
writeResults('cluster', results)
