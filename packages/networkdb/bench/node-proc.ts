// A NetworkDB node in its own process (node.mjs over the built package), driven over IPC.
// Shared by the benchmark and the cross-process test.
import { fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const NODE = fileURLToPath(new URL('./node.mjs', import.meta.url))

export interface Reply {
  id: number
  error?: string
  [k: string]: unknown
}

export class NodeProc {
  readonly proc: ChildProcess
  #id = 0
  readonly #pending = new Map<number, (r: Reply) => void>()
  readonly ready: Promise<void>

  constructor(readonly name: string) {
    // NDB_CPU_PROF=<dir>: each node writes a V8 CPU profile there when it stops
    const prof = process.env.NDB_CPU_PROF
    const execArgv = prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []
    this.proc = fork(NODE, [name], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    this.ready = new Promise((resolve) => {
      this.proc.on('message', (m: Reply & { ready?: boolean }) => {
        if (m.ready) return resolve()
        this.#pending.get(m.id)?.(m)
        this.#pending.delete(m.id)
      })
    })
  }

  /** Send a command; resolves with the node's reply, throws on its error. */
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

/** Poll `f` every 50 ms until it is true; throws after `ms`. */
export async function until(f: () => Promise<boolean>, what: string, ms: number): Promise<void> {
  const end = Date.now() + ms
  while (!(await f())) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
