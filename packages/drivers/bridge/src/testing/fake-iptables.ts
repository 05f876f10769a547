import type { Runner, RunResult } from '@libnetwork/iptables'

type Family = 4 | 6
/** One table: its chains in creation order, each with its rules as canonical text. */
interface TableState {
  name: string
  chains: Map<string, string[]>
}
type FamilyState = Map<string, TableState>

const BUILTIN: Record<string, readonly string[]> = {
  filter: ['INPUT', 'FORWARD', 'OUTPUT'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  raw: ['PREROUTING', 'OUTPUT'],
}
const TARGETS = new Set([
  'ACCEPT',
  'DROP',
  'RETURN',
  'REJECT',
  'MASQUERADE',
  'DNAT',
  'SNAT',
  'REDIRECT',
  'LOG',
  'MARK',
])
const PLAIN = /^[A-Za-z0-9_.,:;/=+@#![\]-]+$/

/** One recorded command: its argv and what it was fed on stdin. */
export interface FakeCall {
  argv: string[]
  input?: string
}

/** A planned failure: matching commands exit 1 with `stderr`, `times` times. */
interface Failure {
  match: (call: FakeCall) => boolean
  times: number
  stderr: string
}

class CommandError extends Error {}

const quote = (t: string) => (PLAIN.test(t) ? t : `"${t}"`)
const tokenize = (line: string) =>
  [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? '')

function fresh(): FamilyState {
  const s: FamilyState = new Map()
  for (const [name, chains] of Object.entries(BUILTIN))
    s.set(name, { name, chains: new Map(chains.map((c) => [c, []])) })
  return s
}

function clone(s: FamilyState): FamilyState {
  return new Map(
    [...s].map(([name, t]) => [
      name,
      { name, chains: new Map([...t.chains].map(([c, r]) => [c, [...r]])) },
    ]),
  )
}

const builtin = (t: TableState, chain: string) => BUILTIN[t.name]?.includes(chain) === true

function chainOf(t: TableState, chain: string | undefined): string[] {
  const rules = chain === undefined ? undefined : t.chains.get(chain)
  if (!rules) throw new CommandError(`No chain/target/match by that name: ${String(chain)}`)
  return rules
}

/** Check the rule's jump target and return its canonical text. */
function ruleText(t: TableState, tokens: string[]): string {
  if (tokens.length === 0) throw new CommandError('empty rule')
  const j = tokens.findIndex((x) => x === '-j' || x === '-g')
  const target = j < 0 ? undefined : tokens[j + 1]
  if (target !== undefined && !TARGETS.has(target) && !t.chains.has(target))
    throw new CommandError(`Couldn't load target \`${target}'`)
  return tokens.map(quote).join(' ')
}

/** Apply one command (`-N -F -X -A -I -D -C -P`) to a table; CommandError on failure. */
function apply(t: TableState, tokens: string[]): void {
  const [op, chain, ...rest] = tokens
  switch (op) {
    case '-N':
      if (chain === undefined || t.chains.has(chain))
        throw new CommandError('Chain already exists.')
      t.chains.set(chain, [])
      return
    case '-F':
      chainOf(t, chain).length = 0
      return
    case '-X': {
      const rules = chainOf(t, chain)
      if (builtin(t, chain!)) throw new CommandError('Cannot delete built-in chain')
      if (rules.length > 0) throw new CommandError('Directory not empty')
      for (const rs of t.chains.values())
        if (rs.some((r) => tokenize(r).some((x, i, a) => x === chain && /^-[jg]$/.test(a[i - 1]!))))
          throw new CommandError('Too many links')
      t.chains.delete(chain!)
      return
    }
    case '-P':
      chainOf(t, chain)
      return
    case '-A':
      chainOf(t, chain).push(ruleText(t, rest))
      return
    case '-I': {
      const rules = chainOf(t, chain)
      const pos = /^\d+$/.test(rest[0] ?? '') ? Number(rest.shift()) : 1
      if (pos < 1 || pos > rules.length + 1) throw new CommandError('Index of insertion too big.')
      rules.splice(pos - 1, 0, ruleText(t, rest))
      return
    }
    case '-D':
    case '-C': {
      const rules = chainOf(t, chain)
      const at = rules.indexOf(rest.map(quote).join(' '))
      if (at < 0) throw new CommandError('Bad rule (does a matching rule exist in that chain?).')
      if (op === '-D') rules.splice(at, 1)
      return
    }
    default:
      throw new CommandError(`unknown command ${String(op)}`)
  }
}

/**
 * iptables, ip6tables and conntrack as an in-memory model, behind the `Runner` interface of
 * `@libnetwork/iptables`: the nf_tables backend's commands (`-N -F -X -A -I -D -C -S`, `-save`,
 * `-restore --noflush` all or nothing, with `line N failed` on error), jumps only to chains
 * that exist, chains deleted only when empty and unreferenced. Rules are kept as the text of
 * their arguments (no reordering as the real tool does), so what the model holds is exactly
 * what was asked for. Every call is recorded in `calls`; `fail` plans failures.
 */
export class FakeIptables implements Runner {
  readonly calls: FakeCall[] = []
  readonly #state: Record<Family, FamilyState> = { 4: fresh(), 6: fresh() }
  readonly #failures: Failure[] = []

  /** The rules of a chain as `iptables -S` prints them (without `-A <chain>`). */
  rules(table: string, chain: string, family: Family = 4): string[] {
    return [...(this.#state[family].get(table)?.chains.get(chain) ?? [])]
  }

  /** The chains of a table (built-in first, then user chains in creation order). */
  chains(table: string, family: Family = 4): string[] {
    return [...(this.#state[family].get(table)?.chains.keys() ?? [])]
  }

  /** Every rule of the family as `table/chain: rule` lines (handy in assertions). */
  dump(family: Family = 4): string[] {
    const out: string[] = []
    for (const [table, t] of this.#state[family])
      for (const [chain, rules] of t.chains)
        for (const r of rules) out.push(`${table}/${chain}: ${r}`)
    return out
  }

  /** The `iptables-restore --noflush` batches run so far (for one family). */
  restores(family: Family = 4): FakeCall[] {
    const bin = family === 6 ? 'ip6tables-nft-restore' : 'iptables-nft-restore'
    return this.calls.filter((c) => c.argv[0] === bin)
  }

  /**
   * Make the next `times` commands that `match` fail (exit 1; `Infinity` until `heal()`).
   * Default: every `iptables-restore`/`ip6tables-restore` batch, as a kernel refusing the
   * change would.
   */
  fail(
    match: (call: FakeCall) => boolean = (c) => /tables-nft-restore$/.test(c.argv[0] ?? ''),
    times = 1,
    stderr = 'iptables-restore: line 2 failed\n',
  ): void {
    this.#failures.push({ match, times, stderr })
  }

  /** Drop every planned failure still pending. */
  heal(): void {
    this.#failures.length = 0
  }

  async run(argv: readonly string[], input?: string): Promise<RunResult> {
    const call: FakeCall = { argv: [...argv], ...(input === undefined ? {} : { input }) }
    this.calls.push(call)
    const failure = this.#failures.find((f) => f.times > 0 && f.match(call))
    if (failure) {
      failure.times--
      return { code: 1, stdout: '', stderr: failure.stderr }
    }
    const [bin = '', ...args] = argv
    const m = /^(ip6?tables)(?:-(nft|legacy))?(-save|-restore)?$/.exec(bin)
    if (bin === 'conntrack')
      return ok('', 'conntrack v1.4.7 (conntrack-tools): 0 flow entries have been deleted.\n')
    if (!m || m[2] === 'legacy') return { code: 127, stdout: '', stderr: `${bin}: not found\n` }
    const family: Family = m[1] === 'ip6tables' ? 6 : 4
    if (args[0] === '--version') return ok(`${m[1]} v1.8.9 (nf_tables)\n`)
    if (m[3] === '-save') return ok(this.#save(family, args[0] === '-t' ? args[1] : undefined))
    if (m[3] === '-restore') return this.#restore(family, input ?? '')
    return this.#command(
      family,
      args.filter((a) => a !== '--wait'),
    )
  }

  #save(family: Family, only?: string): string {
    const out = ['# Generated by FakeIptables']
    for (const [table, t] of this.#state[family]) {
      if (only !== undefined && table !== only) continue
      out.push(`*${table}`)
      for (const chain of t.chains.keys())
        out.push(`:${chain} ${builtin(t, chain) ? 'ACCEPT' : '-'} [0:0]`)
      for (const [chain, rules] of t.chains) for (const r of rules) out.push(`-A ${chain} ${r}`)
      out.push('COMMIT')
    }
    return out.join('\n') + '\n'
  }

  #restore(family: Family, text: string): RunResult {
    const next = clone(this.#state[family])
    let table: TableState | undefined
    const lines = text.split('\n')
    for (const [i, raw] of lines.entries()) {
      const line = raw.trim()
      try {
        if (line === '' || line.startsWith('#')) continue
        if (line.startsWith('*')) {
          table = next.get(line.slice(1))
          if (!table) throw new CommandError(`no table ${line.slice(1)}`)
        } else if (line === 'COMMIT') table = undefined
        else if (!table) throw new CommandError('no table')
        else if (line.startsWith(':')) {
          // declare: create the chain, or flush it if it exists (built-in chains keep theirs)
          const chain = line.slice(1).split(' ')[0]!
          if (!builtin(table, chain)) table.chains.set(chain, [])
        } else apply(table, tokenize(line))
      } catch (err) {
        if (!(err instanceof CommandError)) throw err
        return { code: 1, stdout: '', stderr: `iptables-restore: line ${i + 1} failed\n` }
      }
    }
    this.#state[family] = next
    return ok('')
  }

  #command(family: Family, args: string[]): RunResult {
    let tableName = 'filter'
    if (args[0] === '-t') {
      tableName = args[1] ?? ''
      args = args.slice(2)
    }
    const table = this.#state[family].get(tableName)
    if (!table) return { code: 3, stdout: '', stderr: `can't initialize table ${tableName}\n` }
    const [op, chain] = args
    if (op === '-S') {
      if (chain === undefined) return ok(this.#list(table, [...table.chains.keys()]))
      const rules = table.chains.get(chain)
      if (!rules) return { code: 1, stdout: '', stderr: 'No chain/target/match by that name.\n' }
      if (args[2] !== undefined) {
        const r = rules[Number(args[2]) - 1]
        return ok(r === undefined ? '' : `-A ${chain} ${r}\n`)
      }
      return ok(this.#list(table, [chain]))
    }
    if (op === '-C') {
      const found = table.chains.get(chain ?? '')?.includes(args.slice(2).map(quote).join(' '))
      return found ? ok('') : { code: 1, stdout: '', stderr: 'Bad rule.\n' }
    }
    try {
      apply(table, args)
      return ok('')
    } catch (err) {
      if (!(err instanceof CommandError)) throw err
      return { code: 1, stdout: '', stderr: `${err.message}\n` }
    }
  }

  #list(table: TableState, chains: string[]): string {
    const out: string[] = []
    for (const c of chains) {
      out.push(builtin(table, c) ? `-P ${c} ACCEPT` : `-N ${c}`)
      for (const r of table.chains.get(c) ?? []) out.push(`-A ${c} ${r}`)
    }
    return out.join('\n') + '\n'
  }
}

function ok(stdout: string, stderr = ''): RunResult {
  return { code: 0, stdout, stderr }
}
