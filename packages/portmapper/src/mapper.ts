import { BadRequestError, IP, IPNet, NotFoundError, UnavailableError } from '@libnetwork/types'
import {
  RuleSet,
  checkChain,
  deleteConntrackEntries,
  type Iptables,
  type PlacedRule,
  type VerifyResult,
} from '@libnetwork/iptables'
import type { PortAllocator } from '@libnetwork/portallocator'
import type { UserlandProxy } from './proxy.js'
import { IFNAME, expand, isPort, type MapRequest, type SingleBinding } from './bindings.js'
import {
  anchorRules,
  chainNames,
  mappingRules,
  type ChainNames,
  type PortMapping,
} from './rules.js'

export interface PortMapperOptions {
  allocator: PortAllocator
  /** iptables for IPv4 mappings (required for them). */
  iptables?: Iptables
  /** ip6tables for IPv6 mappings. */
  iptables6?: Iptables
  /** Serve tcp/udp mappings through this userland proxy too (host-local traffic to loopback). */
  proxy?: UserlandProxy
  /** The bridge the containers sit on: DNAT then skips traffic coming from it when proxied. */
  bridge?: string
  /** Prefix of our chain names (default LNT-PORTS). */
  chainPrefix?: string
  /** Exact chain names (instead of `chainPrefix`). */
  chains?: ChainNames
  /**
   * Place the jumps from PREROUTING, OUTPUT, POSTROUTING and FORWARD into our chains (default
   * true). With false the caller jumps into `chains` itself, e.g. from its own FORWARD chain
   * after its isolation rules (see `anchorRules` for the jumps it needs).
   */
  anchors?: boolean
  /** Delete conntrack entries of removed UDP/SCTP mappings (default true). */
  conntrack?: boolean
  /**
   * IPv4: send host-local traffic to 127.0.0.1 through kernel DNAT as well (no proxy in the
   * path), as Docker does without its userland proxy. Needs `bridge`; sets
   * `net.ipv4.conf.<bridge>.route_localnet=1` in the namespace `iptables` works in and
   * masquerades 127.0.0.0/8 leaving through the bridge.
   */
  loopbackDnat?: boolean
  /**
   * Hears a background removal (`unmapLater`) that failed twice; the mappings are then kept
   * (rules, host ports) as if they had never been queued, so the caller can `unmap` them again.
   */
  onError?: (err: Error) => void
}

const key = (m: Pick<PortMapping, 'protocol' | 'hostIP' | 'hostPort'>) =>
  `${m.protocol}/${m.hostIP.toString()}/${m.hostPort}`

/**
 * Publishes container ports: allocates host ports, installs DNAT, hairpin MASQUERADE and
 * FORWARD ACCEPT rules in one iptables batch per call, and optionally has the userland proxy
 * serve them. `map` is all-or-nothing; `unmap` removes exactly what `map` added.
 */
export class PortMapper {
  readonly chains: ChainNames
  readonly #o: PortMapperOptions
  readonly #sets = new Map<4 | 6, RuleSet>()
  readonly #mappings = new Map<string, PortMapping>()
  #started = false
  #loopbackRule: PlacedRule | undefined
  /** Every operation that touches rules, ports or the proxy runs in this queue, in order. */
  #tail: Promise<void> = Promise.resolve()
  /** Queued by `unmapLater`, not yet taken by a removal job. */
  #later: Array<{ list: PortMapping[]; done: (err: Error | undefined) => void }> = []
  #drainQueued = false
  #failure: Error | undefined

  constructor(options: PortMapperOptions) {
    this.#o = options
    if (options.loopbackDnat && (options.bridge === undefined || !IFNAME.test(options.bridge))) {
      throw new BadRequestError('invalid-option', 'loopbackDnat needs a valid bridge name', {
        details: { bridge: options.bridge ?? null },
      })
    }
    this.chains = options.chains
      ? { ...options.chains }
      : chainNames(checkChain(options.chainPrefix ?? 'LNT-PORTS'))
    for (const c of [this.chains.dnat, this.chains.masquerade, this.chains.forward]) checkChain(c)
    for (const [family, ipt] of [
      [4, options.iptables],
      [6, options.iptables6],
    ] as const) {
      if (ipt === undefined) continue
      const set = new RuleSet(ipt)
      set
        .ownChain('nat', this.chains.dnat)
        .ownChain('nat', this.chains.masquerade)
        .ownChain('filter', this.chains.forward)
      const excludeLoopback = options.proxy !== undefined && !(options.loopbackDnat && family === 4)
      if (options.anchors !== false) {
        for (const a of anchorRules(this.chains, family, excludeLoopback)) {
          set.anchor({ ...a, position: 1 })
        }
      }
      this.#sets.set(family, set)
    }
  }

  /** Create our chains (empty) and the jumps into them. */
  async start(): Promise<void> {
    for (const set of this.#sets.values()) await set.apply()
    const v4 = this.#sets.get(4)
    if (this.#o.loopbackDnat && v4 !== undefined && this.#loopbackRule === undefined) {
      const bridge = this.#o.bridge!
      const r = await v4.ipt.runner.run([
        'sysctl',
        '-qw',
        `net.ipv4.conf.${bridge}.route_localnet=1`,
      ])
      if (r.code !== 0) {
        throw new UnavailableError(
          'sysctl-failed',
          `cannot enable route_localnet on ${bridge}: ${r.stderr.trim()}`,
        )
      }
      const rule: PlacedRule = {
        table: 'nat',
        chain: this.chains.masquerade,
        rule: {
          source: IPNet.parse('127.0.0.0/8'),
          outInterface: bridge,
          target: { type: 'MASQUERADE' },
        },
      }
      await v4.update({ add: [rule] })
      this.#loopbackRule = rule
    }
    this.#started = true
  }

  /** Remove every mapping, then our chains and jumps. */
  async stop(): Promise<void> {
    await this.idle()
    if (this.#mappings.size > 0) await this.unmap([...this.#mappings.values()])
    await this.#run(async () => {
      for (const set of this.#sets.values()) await set.remove()
    })
    this.#loopbackRule = undefined
    this.#started = false
  }

  /** Run `fn` after every operation queued before it. */
  #run<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#tail.then(fn)
    this.#tail = p.then(
      () => undefined,
      () => undefined,
    )
    return p
  }

  /** Resolves when every queued operation (background removals included) has finished. */
  async idle(): Promise<void> {
    for (let t = this.#tail; ; t = this.#tail) {
      await t
      if (t === this.#tail) return
    }
  }

  /**
   * Like `idle`, then throws the first background failure since the last call (it was also
   * reported to `onError`).
   */
  async settled(): Promise<void> {
    await this.idle()
    const failure = this.#failure
    this.#failure = undefined
    if (failure !== undefined) throw failure
  }

  #set(family: 4 | 6): RuleSet {
    const set = this.#sets.get(family)
    if (set === undefined) {
      throw new BadRequestError(
        'family-not-configured',
        `no ip${family === 6 ? '6' : ''}tables given for IPv${family} mappings`,
      )
    }
    return set
  }

  #validate(b: SingleBinding): void {
    if (typeof b !== 'object' || b === null)
      throw new BadRequestError('invalid-binding', 'a port binding must be an object')
    if (b.protocol !== 'tcp' && b.protocol !== 'udp' && b.protocol !== 'sctp') {
      throw new BadRequestError(
        'unknown-protocol',
        `unknown protocol ${JSON.stringify(b.protocol)}`,
        { details: { protocol: String(b.protocol) } },
      )
    }
    if (!(b.containerIP instanceof IP) || (b.hostIP !== undefined && !(b.hostIP instanceof IP))) {
      throw new BadRequestError('invalid-ip', 'hostIP and containerIP must be IP values')
    }
    if (b.hostIP !== undefined && b.hostIP.version !== b.containerIP.version) {
      throw new BadRequestError(
        'family-mismatch',
        `host ${b.hostIP.toString()} and container ${b.containerIP.toString()} differ in family`,
      )
    }
    if (!isPort(b.containerPort)) {
      throw new BadRequestError(
        'invalid-port',
        `invalid container port ${String(b.containerPort)}`,
        { details: { port: b.containerPort } },
      )
    }
    if (b.bridge !== undefined && (typeof b.bridge !== 'string' || !IFNAME.test(b.bridge))) {
      throw new BadRequestError('invalid-bridge', `invalid bridge name ${String(b.bridge)}`, {
        details: { bridge: String(b.bridge) },
      })
    }
    this.#set(b.containerIP.version)
  }

  /**
   * Publish one or more bindings. Either every binding is mapped (ports allocated, rules in
   * one batch per family, proxy serving) or none is and nothing is left behind.
   */
  async map(bindings: MapRequest | MapRequest[]): Promise<PortMapping[]> {
    const list = (Array.isArray(bindings) ? bindings : [bindings]).flatMap((b) => expand(b))
    for (const b of list) this.#validate(b)
    return this.#run(() => this.#map(list))
  }

  async #map(list: SingleBinding[]): Promise<PortMapping[]> {
    const done: PortMapping[] = []
    const proxied: PortMapping[] = []
    const rulesAdded: [4 | 6, PlacedRule[]][] = []
    try {
      for (const b of list) {
        const hostIP = b.hostIP ?? IP.parse(b.containerIP.version === 4 ? '0.0.0.0' : '::')
        const hp = b.hostPort ?? 0
        const port =
          typeof hp === 'number'
            ? this.#o.allocator.requestPort(hostIP, b.protocol, hp)
            : this.#o.allocator.requestPortInRange(hostIP, b.protocol, hp.start, hp.end)
        done.push({
          protocol: b.protocol,
          hostIP,
          hostPort: port,
          containerIP: b.containerIP,
          containerPort: b.containerPort,
          proxied: this.#o.proxy !== undefined && b.protocol !== 'sctp',
          ...(b.bridge === undefined ? {} : { bridge: b.bridge }),
        })
      }
      for (const family of [4, 6] as const) {
        const mine = done.filter((m) => m.containerIP.version === family)
        if (mine.length === 0) continue
        const add = mine.flatMap((m) => mappingRules(m, this.chains, this.#o.bridge))
        await this.#set(family).update({ add })
        rulesAdded.push([family, add])
      }
      for (const m of done) {
        if (!m.proxied) continue
        await this.#o.proxy!.add({ ...m, protocol: m.protocol as 'tcp' | 'udp' })
        proxied.push(m)
      }
    } catch (err) {
      for (const m of proxied) await this.#o.proxy!.remove(m).catch(() => undefined)
      for (const [family, remove] of rulesAdded)
        await this.#set(family)
          .update({ remove })
          .catch(() => undefined)
      for (const m of done) this.#o.allocator.releasePort(m.hostIP, m.protocol, m.hostPort)
      throw err
    }
    for (const m of done) this.#mappings.set(key(m), m)
    return done
  }

  /** The mapper's own records of `mappings`; NotFoundError for any it does not hold. */
  #own(mappings: PortMapping | PortMapping[]): PortMapping[] {
    const list = (Array.isArray(mappings) ? mappings : [mappings]).map((m) => {
      const own = m && m.hostIP instanceof IP ? this.#mappings.get(key(m)) : undefined
      if (own === undefined) {
        throw new NotFoundError(
          'mapping-not-found',
          `no mapping ${m?.hostIP instanceof IP ? key(m) : JSON.stringify(m)}`,
          { details: { mapping: m?.hostIP instanceof IP ? key(m) : null } },
        )
      }
      return own
    })
    if (new Set(list).size !== list.length)
      throw new BadRequestError('duplicate-mapping', 'a mapping is listed twice')
    return list
  }

  /**
   * Remove mappings made by `map`: proxy, rules (one batch per family), conntrack, ports.
   * If the rules cannot be removed, the mappings stay (the proxy no longer serves them).
   */
  async unmap(mappings: PortMapping | PortMapping[]): Promise<void> {
    const list = this.#own(mappings)
    for (const m of list) this.#mappings.delete(key(m))
    const progress = new Set<string>()
    try {
      await this.#run(() => this.#unmapNow(list, progress))
    } catch (err) {
      for (const m of list)
        if (!progress.has(`rules${m.containerIP.version}`)) this.#mappings.set(key(m), m)
      throw err
    }
  }

  /**
   * Take mappings out of service now and remove them in the background, in the mapper's
   * queue: they leave `mappings()` at once; their rules, proxy listeners and host ports go
   * before any later `map`, `unmap`, `restore` or `stop` runs (removals queued meanwhile share
   * one iptables batch). A failure is retried once; if the retry fails too, the mappings are
   * put back, `onError` hears it and `settled` throws it. The promise resolves (never rejects)
   * when done, with that error if any.
   */
  unmapLater(mappings: PortMapping | PortMapping[]): Promise<Error | undefined> {
    const list = this.#own(mappings)
    for (const m of list) this.#mappings.delete(key(m))
    const done = new Promise<Error | undefined>((resolve) =>
      this.#later.push({ list, done: resolve }),
    )
    if (!this.#drainQueued) {
      this.#drainQueued = true
      void this.#run(() => this.#drain())
    }
    return done
  }

  async #drain(): Promise<void> {
    this.#drainQueued = false
    const jobs = this.#later.splice(0)
    const list = jobs.flatMap((j) => j.list)
    const progress = new Set<string>()
    let failure: Error | undefined
    try {
      await this.#unmapNow(list, progress)
    } catch {
      try {
        await this.#unmapNow(list, progress)
      } catch (err) {
        failure = err as Error
      }
    }
    if (failure !== undefined) {
      // what is still programmed stays a mapping (IPv4 may be gone when IPv6 failed)
      for (const m of list)
        if (!progress.has(`rules${m.containerIP.version}`)) this.#mappings.set(key(m), m)
      this.#failure ??= failure
      this.#o.onError?.(failure)
    }
    for (const j of jobs) j.done(failure)
  }

  /** The removal itself; `progress` records finished steps so a retry does not repeat them. */
  async #unmapNow(list: PortMapping[], progress: Set<string>): Promise<void> {
    if (!progress.has('proxy')) {
      for (const m of list) if (m.proxied) await this.#o.proxy!.remove(m).catch(() => undefined)
      progress.add('proxy')
    }
    for (const family of [4, 6] as const) {
      const mine = list.filter((m) => m.containerIP.version === family)
      if (mine.length === 0 || progress.has(`rules${family}`)) continue
      await this.#set(family).update({
        remove: mine.flatMap((m) => mappingRules(m, this.chains, this.#o.bridge)),
      })
      progress.add(`rules${family}`)
      for (const m of mine) {
        this.#o.allocator.releasePort(m.hostIP, m.protocol, m.hostPort)
        if (m.protocol !== 'tcp' && this.#o.conntrack !== false) {
          const ipt = family === 4 ? this.#o.iptables! : this.#o.iptables6!
          await deleteConntrackEntries(
            { protocol: m.protocol, destinationPort: m.hostPort, family },
            { runner: ipt.runner },
          ).catch(() => 0)
        }
      }
    }
  }

  /** Current mappings (store them to `restore` after a restart). */
  mappings(): PortMapping[] {
    return [...this.#mappings.values()]
  }

  /** Re-publish a stored set of mappings with the same host ports (after a restart). */
  async restore(stored: readonly PortMapping[]): Promise<PortMapping[]> {
    if (!this.#started) await this.start()
    return this.map(
      stored.map((m) => ({
        protocol: m.protocol,
        hostIP: m.hostIP,
        hostPort: m.hostPort,
        containerIP: m.containerIP,
        containerPort: m.containerPort,
        ...(m.bridge === undefined ? {} : { bridge: m.bridge }),
      })),
    )
  }

  /** Check our chains and jumps are intact. */
  async verify(): Promise<VerifyResult[]> {
    return this.#run(() => Promise.all([...this.#sets.values()].map((s) => s.verify())))
  }

  /** Re-install chains, rules and jumps lost to a firewall reload. */
  async reapply(): Promise<VerifyResult[]> {
    return this.#run(async () => {
      const out: VerifyResult[] = []
      for (const s of this.#sets.values()) out.push(await s.reapply())
      return out
    })
  }
}
