import { NotFoundError } from '@libnetwork/types'
import type { Iptables } from './iptables.js'
import { checkChain, checkTable, ruleArgs, type PlacedRule, type Rule, type Table } from './rule.js'

/** A jump (or any rule) that must sit at a position of a chain we do not own. */
export interface Anchor extends PlacedRule {
  /** 1-based position; default 1. */
  position?: number
}

export interface VerifyResult {
  ok: boolean
  /** What is missing or misplaced, as "table/chain: …" texts. */
  problems: string[]
}

const key = (table: Table, chain: string) => `${table}/${chain}`
const ruleKey = (rule: Rule, family: 4 | 6) => ruleArgs(rule, family).join('\u0000')

interface ChainModel {
  table: Table
  chain: string
  rules: Rule[]
}

/**
 * The chains and rules one component owns, kept in memory as the source of truth.
 * `update()` changes rules in one batch; `verify()` checks the kernel still has them (after a
 * firewall reload, say) and `reapply()` re-installs everything, also in one batch.
 */
export class RuleSet {
  readonly ipt: Iptables
  readonly #chains = new Map<string, ChainModel>()
  readonly #anchors: Anchor[] = []
  /** Mutations run one at a time, so a failed update's rewrite never races another update. */
  #queue: Promise<unknown> = Promise.resolve()

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn, fn)
    this.#queue = run.catch(() => undefined)
    return run
  }

  constructor(ipt: Iptables) {
    this.ipt = ipt
  }

  /** Declare a chain this set owns entirely (re-created and refilled by `apply`). */
  ownChain(table: Table, chain: string): this {
    checkTable(table)
    checkChain(chain)
    if (!this.#chains.has(key(table, chain)))
      this.#chains.set(key(table, chain), { table, chain, rules: [] })
    return this
  }

  /** Declare a rule kept at a position of a chain owned by someone else (a jump into ours). */
  anchor(anchor: Anchor): this {
    checkTable(anchor.table)
    checkChain(anchor.chain)
    ruleArgs(anchor.rule, this.ipt.family)
    this.#anchors.push({ ...anchor, position: anchor.position ?? 1 })
    return this
  }

  #owned(table: Table, chain: string) {
    const c = this.#chains.get(key(table, chain))
    if (c === undefined) {
      throw new NotFoundError(
        'chain-not-owned',
        `chain ${table}/${chain} is not owned by this rule set`,
        {
          details: { table, chain },
        },
      )
    }
    return c
  }

  /** The rules currently held for an owned chain. */
  rules(table: Table, chain: string): readonly Rule[] {
    return [...this.#owned(table, chain).rules]
  }

  /** Create the owned chains (flushing them), fill them, and place the anchors. */
  async apply(): Promise<void> {
    return this.#serial(() => this.#apply())
  }

  async #apply(): Promise<void> {
    const b = this.ipt.batch()
    for (const c of this.#chains.values()) b.chain(c.table, c.chain)
    for (const c of this.#chains.values()) for (const r of c.rules) b.append(c.table, c.chain, r)
    await b.commit()
    for (const a of this.#anchors) await this.ipt.ensureAt(a.table, a.chain, a.rule, a.position)
  }

  /**
   * Add and remove rules of owned chains in one batch. The model changes only if the kernel
   * accepted the batch; on failure the owned chains are rewritten from the unchanged model,
   * so nothing of the failed update stays behind.
   */
  async update(change: { add?: PlacedRule[]; remove?: PlacedRule[] }): Promise<void> {
    return this.#serial(() => this.#update(change))
  }

  async #update(change: { add?: PlacedRule[]; remove?: PlacedRule[] }): Promise<void> {
    const add = change.add ?? []
    const remove = change.remove ?? []
    const family = this.ipt.family
    const b = this.ipt.batch()
    // per chain: where each rule text sits, built once, so removing n rules is O(n)
    const index = new Map<ChainModel, Map<string, number[]>>()
    const removed = new Map<ChainModel, Set<number>>()
    for (const r of remove) {
      const c = this.#owned(r.table, r.chain)
      let where = index.get(c)
      if (where === undefined) {
        where = new Map()
        c.rules.forEach((x, i) => {
          const k = ruleKey(x, family)
          const list = where!.get(k)
          if (list) list.push(i)
          else where!.set(k, [i])
        })
        index.set(c, where)
        removed.set(c, new Set())
      }
      const text = ruleKey(r.rule, family)
      const at = where.get(text)?.pop()
      if (at === undefined) {
        throw new NotFoundError('rule-not-found', `rule is not in ${r.table}/${r.chain}`, {
          details: { table: r.table, chain: r.chain, rule: text },
        })
      }
      removed.get(c)!.add(at)
      b.delete(r.table, r.chain, r.rule)
    }
    for (const a of add) {
      this.#owned(a.table, a.chain)
      ruleArgs(a.rule, family)
      b.append(a.table, a.chain, a.rule)
    }
    try {
      await b.commit()
    } catch (err) {
      await this.#apply().catch(() => undefined)
      throw err
    }
    for (const [c, gone] of removed) c.rules = c.rules.filter((_, i) => !gone.has(i))
    for (const a of add) this.#owned(a.table, a.chain).rules.push(a.rule)
  }

  /** Check that every owned chain holds exactly its rules and every anchor sits in place. */
  async verify(): Promise<VerifyResult> {
    const problems: string[] = []
    const tables = new Set([...this.#chains.values()].map((c) => c.table))
    for (const table of tables) {
      const save = await this.ipt.save({ table })
      for (const c of this.#chains.values()) {
        if (c.table !== table) continue
        if (!save.includes(`\n:${c.chain} `)) {
          problems.push(`${table}/${c.chain}: chain missing`)
          continue
        }
        const count = save.split('\n').filter((l) => l.startsWith(`-A ${c.chain} `)).length
        if (count !== c.rules.length)
          problems.push(`${table}/${c.chain}: ${count} rules, expected ${c.rules.length}`)
      }
    }
    if (problems.length === 0) {
      const b = this.ipt.batch()
      for (const c of this.#chains.values()) for (const r of c.rules) b.check(c.table, c.chain, r)
      try {
        await b.commit()
      } catch (err) {
        problems.push(`rule missing: ${(err as Error).message}`)
      }
    }
    for (const a of this.#anchors) {
      const at = await this.ipt.positions(a.table, a.chain, a.rule).catch(() => [])
      if (at.length !== 1 || at[0] !== a.position) {
        problems.push(`${a.table}/${a.chain}: anchor at [${at.join(',')}], expected ${a.position}`)
      }
    }
    return { ok: problems.length === 0, problems }
  }

  /** Re-install whatever is missing (everything is rewritten in one batch). Returns what was wrong. */
  async reapply(): Promise<VerifyResult> {
    return this.#serial(async () => {
      const result = await this.verify()
      if (!result.ok) await this.#apply()
      return result
    })
  }

  /** Remove the anchors and the owned chains. */
  async remove(): Promise<void> {
    return this.#serial(() => this.#remove())
  }

  async #remove(): Promise<void> {
    for (const a of this.#anchors) {
      for (const _ of await this.ipt.positions(a.table, a.chain, a.rule).catch(() => [])) {
        await this.ipt.delete(a.table, a.chain, a.rule)
      }
    }
    const b = this.ipt.batch()
    for (const c of this.#chains.values()) {
      if (await this.ipt.chainExists(c.table, c.chain))
        b.flush(c.table, c.chain).deleteChain(c.table, c.chain)
      c.rules.length = 0
    }
    await b.commit()
  }
}
