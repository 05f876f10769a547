import {
  BadRequestError,
  ConflictError,
  InternalError,
  NotFoundError,
  UnavailableError,
} from '@libnetwork/types'
import { Batch, batchError, renderBatch, type BatchOp } from './batch.js'
import { checkChain, checkTable, ruleArgs, type Family, type Rule, type Table } from './rule.js'
import { execRunner, type Runner } from './runner.js'

/** The two iptables implementations Debian ships. */
export type Backend = 'nft' | 'legacy'

export interface BackendInfo {
  /** Backends whose binaries run here. */
  available: Backend[]
  /** What plain `iptables` points to, if it runs. */
  system: Backend | undefined
  /** Backends that already hold rules or user chains (in the namespace examined). */
  inUse: Backend[]
}

export interface IptablesOptions {
  family?: Family
  /** 'auto' (default): the backend that already holds rules, else what `iptables` points to. */
  backend?: Backend | 'auto'
  /** Run every command inside this named network namespace (`ip netns exec`). */
  netns?: string
  /** Inject a runner (tests of layers above); default spawns the real binaries. */
  runner?: Runner
}

function binary(family: Family, backend: Backend, suffix = ''): string {
  return `${family === 6 ? 'ip6tables' : 'iptables'}-${backend}${suffix}`
}

function hasRules(save: string): boolean {
  return save.split('\n').some((l) => l.startsWith('-A ') || /^:\S+ - \[/.test(l))
}

/** Find out which iptables backends exist and which already hold rules. */
export async function detectBackends(
  runner: Runner = execRunner(),
  family: Family = 4,
): Promise<BackendInfo> {
  const available: Backend[] = []
  const inUse: Backend[] = []
  for (const b of ['nft', 'legacy'] as const) {
    const v = await runner.run([binary(family, b), '--version']).catch(() => undefined)
    if (v?.code !== 0) continue
    available.push(b)
    const save = await runner.run([binary(family, b, '-save')]).catch(() => undefined)
    if (save?.code === 0 && hasRules(save.stdout)) inUse.push(b)
  }
  const plain = await runner
    .run([family === 6 ? 'ip6tables' : 'iptables', '--version'])
    .catch(() => undefined)
  let system: Backend | undefined
  if (plain?.code === 0) system = plain.stdout.includes('nf_tables') ? 'nft' : 'legacy'
  return { available, system, inUse }
}

/**
 * iptables or ip6tables in one backend, optionally inside a network namespace. Every command
 * is an argv array (no shell) built from typed values, and waits on the xtables lock.
 */
export class Iptables {
  readonly family: Family
  readonly backend: Backend
  readonly netns: string | undefined
  readonly runner: Runner

  private constructor(family: Family, backend: Backend, runner: Runner, netns: string | undefined) {
    this.family = family
    this.backend = backend
    this.runner = runner
    this.netns = netns
  }

  /** Detect the backend (unless given) and return a ready instance. */
  static async create(options: IptablesOptions = {}): Promise<Iptables> {
    const family = options.family ?? 4
    if (family !== 4 && family !== 6) {
      throw new BadRequestError('invalid-family', `family must be 4 or 6, got ${String(family)}`)
    }
    const runner =
      options.runner ?? execRunner(options.netns === undefined ? {} : { netns: options.netns })
    const wanted = options.backend ?? 'auto'
    if (wanted !== 'auto' && wanted !== 'nft' && wanted !== 'legacy') {
      throw new BadRequestError(
        'invalid-backend',
        `backend must be nft, legacy or auto, got ${String(wanted)}`,
      )
    }
    const info = await detectBackends(runner, family)
    let backend: Backend | undefined
    if (wanted !== 'auto') backend = info.available.includes(wanted) ? wanted : undefined
    else if (info.inUse.length === 1) backend = info.inUse[0]
    else backend = info.system ?? info.available[0]
    if (backend === undefined) {
      throw new UnavailableError(
        'iptables-unavailable',
        `no usable iptables backend (${wanted}) for IPv${family}`,
        {
          details: { ...info, wanted },
        },
      )
    }
    return new Iptables(family, backend, runner, options.netns)
  }

  /** Run one iptables command; returns its exit code and output. */
  async raw(args: readonly string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    return this.runner.run([binary(this.family, this.backend), '--wait', ...args])
  }

  async #must(args: readonly string[], what: string): Promise<string> {
    const r = await this.raw(args)
    if (r.code !== 0) {
      throw new InternalError('iptables-failed', `${what} failed: ${r.stderr.trim()}`, {
        details: { args: [...args], code: r.code, stderr: r.stderr.trim() },
      })
    }
    return r.stdout
  }

  async chainExists(table: Table, chain: string): Promise<boolean> {
    const r = await this.raw(['-t', checkTable(table), '-S', checkChain(chain), '1'])
    return r.code === 0
  }

  /** Create a chain; ConflictError if it exists. */
  async createChain(table: Table, chain: string): Promise<void> {
    if (await this.chainExists(table, chain)) {
      throw new ConflictError('chain-exists', `chain ${chain} already exists in table ${table}`, {
        details: { table, chain },
      })
    }
    await this.#must(['-t', table, '-N', chain], `create chain ${table}/${chain}`)
  }

  /** Create a chain unless it exists (keeps its rules). */
  async ensureChain(table: Table, chain: string): Promise<void> {
    if (await this.chainExists(table, chain)) return
    const r = await this.raw(['-t', table, '-N', chain])
    if (r.code !== 0 && !(await this.chainExists(table, chain))) {
      throw new InternalError(
        'iptables-failed',
        `create chain ${table}/${chain} failed: ${r.stderr.trim()}`,
      )
    }
  }

  async #existing(table: Table, chain: string): Promise<void> {
    if (!(await this.chainExists(table, chain))) {
      throw new NotFoundError('chain-not-found', `no chain ${chain} in table ${table}`, {
        details: { table, chain },
      })
    }
  }

  async flushChain(table: Table, chain: string): Promise<void> {
    await this.#existing(table, chain)
    await this.#must(['-t', table, '-F', chain], `flush chain ${table}/${chain}`)
  }

  /** Flush and delete a chain. With `ifExists`, a missing chain is not an error. */
  async deleteChain(
    table: Table,
    chain: string,
    options: { ifExists?: boolean } = {},
  ): Promise<void> {
    if (!(await this.chainExists(table, chain))) {
      if (options.ifExists) return
      await this.#existing(table, chain)
    }
    await this.#must(['-t', table, '-F', chain], `flush chain ${table}/${chain}`)
    await this.#must(['-t', table, '-X', chain], `delete chain ${table}/${chain}`)
  }

  /** `-C`: does this exact rule exist in the chain? */
  async exists(table: Table, chain: string, rule: Rule): Promise<boolean> {
    const args = ['-t', checkTable(table), '-C', checkChain(chain), ...ruleArgs(rule, this.family)]
    const r = await this.raw(args)
    if (r.code === 0) return true
    if (r.code === 1) return false
    throw new BadRequestError('invalid-rule', `iptables rejected the rule: ${r.stderr.trim()}`, {
      details: { args, stderr: r.stderr.trim() },
    })
  }

  async append(table: Table, chain: string, rule: Rule): Promise<void> {
    const args = ruleArgs(rule, this.family)
    await this.#must(
      ['-t', checkTable(table), '-A', checkChain(chain), ...args],
      `append to ${table}/${chain}`,
    )
  }

  /** Insert at `position` (1 = first). */
  async insert(table: Table, chain: string, rule: Rule, position = 1): Promise<void> {
    if (!Number.isInteger(position) || position < 1) {
      throw new BadRequestError(
        'invalid-position',
        `rule position must be an integer >= 1, got ${String(position)}`,
      )
    }
    const args = ruleArgs(rule, this.family)
    await this.#must(
      ['-t', checkTable(table), '-I', checkChain(chain), String(position), ...args],
      `insert into ${table}/${chain}`,
    )
  }

  /** Delete one copy of the rule; NotFoundError if absent. */
  async delete(table: Table, chain: string, rule: Rule): Promise<void> {
    if (!(await this.exists(table, chain, rule))) {
      throw new NotFoundError('rule-not-found', `no such rule in ${table}/${chain}`, {
        details: { table, chain, rule: ruleArgs(rule, this.family) },
      })
    }
    await this.#must(
      ['-t', table, '-D', chain, ...ruleArgs(rule, this.family)],
      `delete from ${table}/${chain}`,
    )
  }

  /** Append unless present. Returns true when it added the rule. */
  async ensure(table: Table, chain: string, rule: Rule): Promise<boolean> {
    if (await this.exists(table, chain, rule)) return false
    await this.append(table, chain, rule)
    return true
  }

  /** The rule as `iptables -S` prints it (without `-A <chain>`), via a scratch chain. */
  async canonical(table: Table, rule: Rule): Promise<string> {
    const scratch = `LNT-PROBE-${process.pid % 100000}-${Math.floor(Math.random() * 1e6)}`
    await this.batch().chain(table, scratch).append(table, scratch, rule).commit()
    try {
      const text = await this.#must(['-t', table, '-S', scratch], `list ${table}/${scratch}`)
      const line = text.split('\n').find((l) => l.startsWith(`-A ${scratch} `))
      return line === undefined ? '' : line.slice(`-A ${scratch} `.length)
    } finally {
      await this.batch().flush(table, scratch).deleteChain(table, scratch).commit()
    }
  }

  /** The 1-based positions of every copy of `rule` in `chain`. */
  async positions(table: Table, chain: string, rule: Rule): Promise<number[]> {
    const text = await this.canonical(table, rule)
    const list = (
      await this.#must(['-t', checkTable(table), '-S', checkChain(chain)], `list ${table}/${chain}`)
    )
      .split('\n')
      .filter((l) => l.startsWith('-A '))
    const out: number[] = []
    list.forEach((l, i) => {
      if (l === `-A ${chain} ${text}`) out.push(i + 1)
    })
    return out
  }

  /**
   * Keep exactly one copy of `rule` at `position` of `chain` (a jump into our chain from a
   * built-in one). Moves it back if something inserted rules in front of it.
   */
  async ensureAt(table: Table, chain: string, rule: Rule, position = 1): Promise<boolean> {
    const at = await this.positions(table, chain, rule)
    if (at.length === 1 && at[0] === position) return false
    const b = this.batch()
    for (let i = 0; i < at.length; i++) b.delete(table, chain, rule)
    b.insert(table, chain, rule, position)
    await b.commit()
    return true
  }

  /** Start a batch committed with one `iptables-restore --noflush --wait`. */
  batch(): Batch {
    return new Batch((ops) => this.#commitBatch(ops))
  }

  async #commitBatch(ops: readonly BatchOp[]): Promise<void> {
    const { text, lineOps } = renderBatch(ops, this.family)
    const r = await this.runner.run(
      [binary(this.family, this.backend, '-restore'), '--noflush', '--wait'],
      text,
    )
    if (r.code !== 0) throw batchError(r.stderr, lineOps, text)
  }

  /**
   * `iptables-save` output for one table or all. With `normalize` (default) the timestamp
   * comments are dropped, counters zeroed and tables that hold nothing (no rules, no user
   * chains, ACCEPT policies) left out, so two saves compare equal when the rules do.
   */
  async save(options: { table?: Table; normalize?: boolean } = {}): Promise<string> {
    const args = [binary(this.family, this.backend, '-save')]
    if (options.table !== undefined) args.push('-t', checkTable(options.table))
    const r = await this.runner.run(args)
    if (r.code !== 0)
      throw new InternalError('iptables-save-failed', `iptables-save failed: ${r.stderr.trim()}`)
    if (options.normalize === false) return r.stdout
    return normalizeSave(r.stdout)
  }
}

/** Drop comments, zero counters and leave out tables that hold nothing. */
export function normalizeSave(text: string): string {
  const out: string[] = []
  let block: string[] = []
  let empty = true
  for (const raw of text.split('\n')) {
    if (raw.startsWith('#') || raw === '') continue
    const line = raw.replace(/\[\d+:\d+\]/, '[0:0]')
    if (line.startsWith('*')) {
      block = [line]
      empty = true
    } else if (line === 'COMMIT') {
      block.push(line)
      if (!empty) out.push(...block)
      block = []
    } else {
      block.push(line)
      if (!/^:\S+ ACCEPT \[0:0\]$/.test(line)) empty = false
    }
  }
  return out.length === 0 ? '' : out.join('\n') + '\n'
}
