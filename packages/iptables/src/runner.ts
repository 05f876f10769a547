import { spawn } from 'node:child_process'
import { BadRequestError, UnavailableError } from '@libnetwork/types'

/** What a command printed and how it ended. */
export interface RunResult {
  code: number
  stdout: string
  stderr: string
}

/**
 * Runs one program with an argv array (never a shell), optionally feeding `input` on stdin.
 * The narrow interface every kernel-touching call goes through; tests of layers above can
 * pass a fake.
 */
export interface Runner {
  run(argv: readonly string[], input?: string): Promise<RunResult>
}

const NETNS_NAME = /^[A-Za-z0-9_.-]{1,64}$/

/** Check a network namespace name (as in /run/netns) before it reaches an argv. */
export function checkNetnsName(name: string): string {
  if (typeof name !== 'string' || !NETNS_NAME.test(name) || name === '.' || name === '..') {
    throw new BadRequestError(
      'invalid-netns',
      `invalid network namespace name ${JSON.stringify(name)}: use letters, digits, _ . -`,
      { details: { netns: String(name) } },
    )
  }
  return name
}

export interface ExecRunnerOptions {
  /** Run every command inside this named network namespace (`ip netns exec <name>`). */
  netns?: string
}

/** The real runner: spawns the program, inside `netns` when given. */
export function execRunner(options: ExecRunnerOptions = {}): Runner {
  const prefix =
    options.netns === undefined ? [] : ['ip', 'netns', 'exec', checkNetnsName(options.netns)]
  return {
    run(argv, input) {
      const full = [...prefix, ...argv]
      return new Promise((resolve, reject) => {
        const child = spawn(full[0]!, full.slice(1), {
          stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
        })
        const out: Buffer[] = []
        const err: Buffer[] = []
        child.stdout?.on('data', (b: Buffer) => out.push(b))
        child.stderr?.on('data', (b: Buffer) => err.push(b))
        child.on('error', (cause) =>
          reject(
            new UnavailableError('command-unavailable', `cannot run ${full[0]}: ${cause.message}`, {
              details: { argv: full },
              cause,
            }),
          ),
        )
        child.on('close', (code, signal) =>
          resolve({
            code: code ?? (signal ? 128 : 1),
            stdout: Buffer.concat(out).toString('utf8'),
            stderr: Buffer.concat(err).toString('utf8'),
          }),
        )
        if (input !== undefined && child.stdin) {
          child.stdin.on('error', () => undefined)
          child.stdin.end(input)
        }
      })
    },
  }
}
