// NetworkDB nodes in separate processes (bench/node.mjs over the built package), on loopback.
import t from 'tap'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { NodeProc, until as untilMs } from '../bench/node-proc.js'

const until = (f: () => Promise<boolean>, what: string) => untilMs(f, what, 20_000)
const BUILT = existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))

t.test(
  'three processes: scoping, convergence and a SIGKILLed node',
  { skip: !BUILT && 'needs the built package (npm run build)' },
  async (t) => {
    const procs = ['pa', 'pb', 'pc'].map((n) => new NodeProc(n))
    t.teardown(() => {
      for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL')
    })
    const [a, b, c] = procs as [NodeProc, NodeProc, NodeProc]
    await Promise.all(procs.map((p) => p.ready))
    const seed = (await a.call('start')).address as string
    await b.call('start')
    await c.call('start')
    await b.call('join', { seeds: [seed] })
    await c.call('join', { seeds: [seed] })
    await until(
      async () =>
        (await Promise.all(procs.map((p) => p.call('members')))).every((r) => r.members === 2),
      'membership',
    )
    await a.call('joinNetwork', { network: 'net1' })
    await b.call('joinNetwork', { network: 'net1' })
    await c.call('joinNetwork', { network: 'other' })
    await until(async () => (await a.call('peers', { network: 'net1' })).peers === 2, 'a sees b')
    await until(async () => (await b.call('peers', { network: 'net1' })).peers === 2, 'b sees a')

    await a.call('create', { table: 't1', network: 'net1', n: 300, size: 100 })
    await b.call('create', { table: 't1', network: 'net1', n: 20, size: 100 })
    await b.call('waitCount', { table: 't1', network: 'net1', count: 320 })
    await a.call('waitCount', { table: 't1', network: 'net1', count: 320 })
    const outside = await c.call('count', { table: 't1', network: 'net1' })
    t.equal(outside.count, 0, 'the non-member has none of the entries')
    t.equal(outside.tableBytesReceived, 0, 'and received no table bytes')
    t.ok(
      ((await b.call('count', { table: 't1', network: 'net1' })).tableBytesReceived as number) >
        300 * 100,
    )

    b.proc.kill('SIGKILL')
    await a.call('waitGone', { table: 't1', network: 'net1', count: 300, node: 'pb' })
    t.equal(
      (await a.call('count', { table: 't1', network: 'net1' })).count,
      300,
      'b entries dropped',
    )
    await Promise.all([a.call('stop'), c.call('stop')])
  },
)
