import { DriverForbiddenError } from '@libnetwork/driverapi'
import { Iptables, type RuleSet, type Runner } from '@libnetwork/iptables'
import type { PortAllocator } from '@libnetwork/portallocator'
import { anchorRules, type UserlandProxyOptions } from '@libnetwork/portmapper'
import { PORT_CHAINS, baseRules, bridgeRuleSet, type PlacedRule } from './firewall.js'
import { Publisher } from './ports.js'

export interface NetfilterOptions {
  netns?: string
  /** Runs the iptables commands; default spawns them in `netns`. */
  runner?: Runner
  ip6tables: boolean
  proxy: boolean
  proxyOptions?: Omit<UserlandProxyOptions, 'netns' | 'onError'>
  onError?: (err: Error) => void
  allocator: PortAllocator
}

/** What one network contributes: its IPv4 and IPv6 rules. */
export interface NetworkRules {
  rules: PlacedRule[]
  rules6: PlacedRule[]
}

/**
 * The driver's netfilter state: its rule sets for IPv4 and (when available) IPv6, and the
 * publisher of ports whose chains they jump to. One `iptables-restore` per change and family.
 */
export class Netfilter {
  readonly #o: NetfilterOptions
  #rules: RuleSet | undefined
  #rules6: RuleSet | undefined
  #publisher: Publisher | undefined

  constructor(o: NetfilterOptions) {
    this.#o = o
  }

  get publisher(): Publisher | undefined {
    return this.#publisher
  }

  /** IPv6 rules and `::` port mappings are programmed. */
  get ipv6(): boolean {
    return this.#rules6 !== undefined
  }

  #families(): Iptables[] {
    return [this.#ipt, this.#ipt6].filter((i): i is Iptables => i !== undefined)
  }

  /** Normalised `iptables-save` of both families, to tell whether a rebuild changed anything. */
  async snapshot(): Promise<string> {
    await this.#open()
    return (await Promise.all(this.#families().map((i) => i.save({ normalize: true })))).join('\n')
  }

  #ipt: Iptables | undefined
  #ipt6: Iptables | undefined
  #opened = false

  async #open(): Promise<void> {
    if (this.#opened) return
    const where = { netns: this.#o.netns, ...(this.#o.runner ? { runner: this.#o.runner } : {}) }
    this.#ipt = await Iptables.create({ family: 4, ...where })
    // a kernel without IPv6 (or ip6tables) keeps IPv4 working; IPv6 networks then fail
    if (this.#o.ip6tables)
      this.#ipt6 = await Iptables.create({ family: 6, ...where }).catch(() => undefined)
    this.#opened = true
  }

  /**
   * (Re)build our chains in both families and the port mapper's from the records: stale rules
   * go, missing ones come back. Published ports are restored by the caller afterwards.
   */
  async setup(nets: NetworkRules[]): Promise<void> {
    await this.#open()
    await this.#publisher?.stop()
    const ipt = this.#ipt!
    const ipt6 = this.#ipt6
    const publisher = new Publisher({
      allocator: this.#o.allocator,
      iptables: ipt,
      ...(ipt6 ? { iptables6: ipt6 } : {}),
      ...(this.#o.proxy ? { proxy: { ...this.#o.proxyOptions, netns: this.#o.netns } } : {}),
      ...(this.#o.onError ? { onError: this.#o.onError } : {}),
    })
    // the mapper's chains first: ours jump to them
    await publisher.start()
    const sets: RuleSet[] = []
    for (const [i, family] of (ipt6 ? [ipt, ipt6] : [ipt]).entries()) {
      const rs = bridgeRuleSet(family, this.#o.proxy)
      await rs.apply()
      // the OUTPUT jump of the other proxy setting (an earlier run's) must not stay behind
      const other = anchorRules(PORT_CHAINS, family.family, !this.#o.proxy).find(
        (a) => a.chain === 'OUTPUT',
      )!
      for (const _ of await family.positions('nat', 'OUTPUT', other.rule))
        await family.delete('nat', 'OUTPUT', other.rule)
      await rs.update({
        add: [...baseRules(), ...nets.flatMap((n) => (i === 0 ? n.rules : n.rules6))],
      })
      sets.push(rs)
    }
    this.#rules = sets[0]
    this.#rules6 = sets[1]
    this.#publisher = publisher
  }

  /** Add and remove rules of one family in one batch. */
  async update(
    change: { add?: PlacedRule[]; remove?: PlacedRule[] },
    family: 4 | 6,
  ): Promise<void> {
    if ((change.add?.length ?? 0) === 0 && (change.remove?.length ?? 0) === 0) return
    const rs = family === 4 ? this.#rules : this.#rules6
    if (rs === undefined) {
      throw new DriverForbiddenError(
        'bridge',
        `ip${family === 6 ? '6' : ''}tables is not available for this network`,
      )
    }
    await rs.update(change)
  }

  /** Queued port removals are done (failures were reported to `onError`). */
  async idle(): Promise<void> {
    await this.#publisher?.idle()
  }

  /** Finish queued port removals, stop the userland proxy; chains and rules stay. */
  async stop(): Promise<void> {
    await this.#publisher?.stop()
  }
}
