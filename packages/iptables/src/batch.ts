import { BadRequestError, InternalError, NotFoundError } from '@libnetwork/types'
import {
  checkChain,
  checkTable,
  restoreToken,
  ruleArgs,
  type Family,
  type Rule,
  type Table,
} from './rule.js'

/** One step of a batch. */
export type BatchOp =
  | { op: 'chain'; table: Table; chain: string }
  | { op: 'append' | 'delete' | 'check'; table: Table; chain: string; rule: Rule }
  | { op: 'insert'; table: Table; chain: string; rule: Rule; position: number }
  | { op: 'flush' | 'deleteChain'; table: Table; chain: string }

/** Render ops as iptables-restore input, grouped by table in first-seen order. */
export function renderBatch(
  ops: readonly BatchOp[],
  family: Family,
): { text: string; lineOps: (BatchOp | undefined)[] } {
  const byTable = new Map<Table, { decl: [string, BatchOp][]; body: [string, BatchOp][] }>()
  for (const o of ops) {
    checkTable(o.table)
    checkChain(o.chain)
    let group = byTable.get(o.table)
    if (group === undefined) {
      group = { decl: [], body: [] }
      byTable.set(o.table, group)
    }
    const chain = restoreToken(o.chain)
    switch (o.op) {
      case 'chain':
        group.decl.push([`:${chain} - [0:0]`, o])
        break
      case 'flush':
        group.body.push([`-F ${chain}`, o])
        break
      case 'deleteChain':
        group.body.push([`-X ${chain}`, o])
        break
      case 'insert': {
        if (!Number.isInteger(o.position) || o.position < 1) {
          throw new BadRequestError(
            'invalid-position',
            `rule position must be an integer >= 1, got ${String(o.position)}`,
          )
        }
        const args = ruleArgs(o.rule, family).map(restoreToken).join(' ')
        group.body.push([`-I ${chain} ${o.position} ${args}`, o])
        break
      }
      default: {
        const flag = o.op === 'append' ? '-A' : o.op === 'delete' ? '-D' : '-C'
        group.body.push([
          `${flag} ${chain} ${ruleArgs(o.rule, family).map(restoreToken).join(' ')}`,
          o,
        ])
      }
    }
  }
  const lines: string[] = []
  const lineOps: (BatchOp | undefined)[] = []
  const push = (line: string, op?: BatchOp) => {
    lines.push(line)
    lineOps.push(op)
  }
  for (const [table, group] of byTable) {
    push(`*${table}`)
    for (const [l, o] of group.decl) push(l, o)
    for (const [l, o] of group.body) push(l, o)
    push('COMMIT')
  }
  return { text: lines.join('\n') + '\n', lineOps }
}

/** Turn an iptables-restore failure into a typed error naming the failing step. */
export function batchError(
  stderr: string,
  lineOps: readonly (BatchOp | undefined)[],
  text: string,
): Error {
  const m = /line (\d+) failed/.exec(stderr)
  const line = m ? Number(m[1]) : undefined
  const op = line === undefined ? undefined : lineOps[line - 1]
  const source = line === undefined ? undefined : text.split('\n')[line - 1]
  const details = { line, statement: source, stderr: stderr.trim() }
  if (op !== undefined && (op.op === 'delete' || op.op === 'check')) {
    return new NotFoundError(
      'rule-not-found',
      `no such rule in ${op.table}/${op.chain}: ${source ?? ''}`,
      { details },
    )
  }
  return new InternalError(
    'iptables-restore-failed',
    `iptables-restore failed${line ? ` at line ${line} (${source ?? ''})` : ''}: ${stderr.trim()}`,
    { details },
  )
}

/** Collects steps and commits them with one `iptables-restore --noflush` (one spawn). */
export class Batch {
  readonly ops: BatchOp[] = []
  readonly #commit: (ops: readonly BatchOp[]) => Promise<void>

  constructor(commit: (ops: readonly BatchOp[]) => Promise<void>) {
    this.#commit = commit
  }

  /** Create the chain, or flush it if it exists (iptables-restore semantics). */
  chain(table: Table, chain: string): this {
    this.ops.push({ op: 'chain', table, chain })
    return this
  }
  append(table: Table, chain: string, rule: Rule): this {
    this.ops.push({ op: 'append', table, chain, rule })
    return this
  }
  insert(table: Table, chain: string, rule: Rule, position = 1): this {
    this.ops.push({ op: 'insert', table, chain, rule, position })
    return this
  }
  delete(table: Table, chain: string, rule: Rule): this {
    this.ops.push({ op: 'delete', table, chain, rule })
    return this
  }
  /** Fails the whole batch unless the rule exists. */
  check(table: Table, chain: string, rule: Rule): this {
    this.ops.push({ op: 'check', table, chain, rule })
    return this
  }
  flush(table: Table, chain: string): this {
    this.ops.push({ op: 'flush', table, chain })
    return this
  }
  deleteChain(table: Table, chain: string): this {
    this.ops.push({ op: 'deleteChain', table, chain })
    return this
  }

  get size(): number {
    return this.ops.length
  }

  /** Apply every step in one iptables-restore run. An empty batch does nothing. */
  async commit(): Promise<void> {
    if (this.ops.length === 0) return
    await this.#commit(this.ops)
  }
}
