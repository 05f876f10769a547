// NetworkDB nodes in separate processes (bench/node.mjs over the built package), on loopback.
import t from 'tap'
import { fork, type ChildProcess } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

const NODE = fileURLToPath(new URL('../bench/node.mjs', import.meta.url))
const BUILT = existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)))

interface Reply {
  id: number
  error?: string
  [k: string]: unknown
}

class Proc {
  readonly child: ChildProcess
  #id = 0
  readonly #pending = new Map<number, (r: Reply) => void>()
  readonly ready: Promise<void>
  constructor(readonly name: string) {
    this.child = fork(NODE, [name], {
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    })
    this.ready = new Promise((resolve) => {
      this.child.on('message', (m: Reply & { ready?: boolean }) => {
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
      this.child.send({ id, cmd, ...args })
    })
    if (r.error) throw new Error(`${this.name} ${cmd}: ${r.error}`)
    return r
  }
}

async function until(f: () => Promise<boolean>, what: string, ms = 20_000): Promise<void> {
  const end = Date.now() + ms
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

t.test(
  'three processes: scoping, convergence and a SIGKILLed node',
  { skip: !BUILT && 'needs the built package (npm run build)' },
  async (t) => {
    const procs = ['pa', 'pb', 'pc'].map((n) => new Proc(n))
    t.teardown(() => {
      for (const p of procs) if (p.child.exitCode === null) p.child.kill('SIGKILL')
    })
    const [a, b, c] = procs as [Proc, Proc, Proc]
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

    b.child.kill('SIGKILL')
    await a.call('waitGone', { table: 't1', network: 'net1', count: 300, node: 'pb' })
    t.equal(
      (await a.call('count', { table: 't1', network: 'net1' })).count,
      300,
      'b entries dropped',
    )
    await Promise.all([a.call('stop'), c.call('stop')])
  },
)
