// Spawns gossip nodes as child processes (bench/node-proc.mjs) and reads their JSON lines.
import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
export const script = join(here, '..', 'bench', 'node-proc.mjs')

export interface Line {
  t: number
  [k: string]: unknown
}

export class Proc {
  readonly lines: Line[] = []
  private waiters: (() => void)[] = []
  readonly child: ChildProcess
  /** `prefix` runs node through another command, e.g. `['ip', 'netns', 'exec', ns]`. */
  constructor(opts: Record<string, unknown>, loader?: string, prefix: string[] = []) {
    const args = [...(loader ? ['--import', loader] : []), script, JSON.stringify(opts)]
    this.child =
      prefix.length > 0
        ? spawn(prefix[0]!, [...prefix.slice(1), process.execPath, ...args], {
            stdio: ['pipe', 'pipe', 'inherit'],
          })
        : spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
    createInterface({ input: this.child.stdout! }).on('line', (l) => {
      try {
        this.lines.push(JSON.parse(l) as Line)
      } catch {
        return
      }
      for (const w of this.waiters.splice(0)) w()
    })
  }
  send(cmd: string): void {
    this.child.stdin!.write(cmd + '\n')
  }
  async waitLine(pred: (l: Line) => boolean, timeoutMs = 20_000): Promise<Line> {
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const l = this.lines.find(pred)
      if (l) return l
      if (Date.now() > deadline) throw new Error('timed out waiting for a child line')
      await new Promise<void>((r) => {
        this.waiters.push(r)
        setTimeout(r, 100)
      })
    }
  }
  kill(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (this.child.exitCode === null) this.child.kill(signal)
  }
}

/** Module URL of this package's source, for children run under tsx. */
export const srcModule = pathToFileURL(join(here, '..', 'src', 'index.ts')).href
