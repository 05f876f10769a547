import { BadRequestError, IP, IPNet, NotFoundError, UnavailableError } from '@libnetwork/types'
import {
  RuleSet,
  checkChain,
  deleteConntrackEntries,
  type Iptables,
  type VerifyResult,
} from '@libnetwork/iptables'
import type { PortAllocator, PortRange, Protocol } from '@libnetwork/portallocator'
import type { UserlandProxy } from './proxy.js'
import {
  anchorRules,
  chainNames,
  mappingRules,
  type ChainNames,
  type PortMapping,
  type PlacedRule,
} from './rules.js'

/** What to publish. */
export interface PortBinding {
  protocol: Protocol
  /** Host address; default the unspecified address of the container's family. */
  hostIP?: IP
  /** A port, a range to pick one from, or omitted/0 for any port of the dynamic range. */
  hostPort?: number | PortRange
  containerIP: IP
  /**
   * A port, or a range: each container port is then published on its own host port (the
   * matching port of a `hostPort` range of the same length, consecutive ports from a numeric
   * `hostPort`, or any ports when `hostPort` is omitted), as `-p 8000-8002:80-82` does.
   */
  containerPort: number | PortRange
  /**
   * The bridge this container sits on, when a mapper serves containers of several bridges
   * (default: the mapper's `bridge`). Its rules then match this bridge.
   */
  bridge?: string
}

/** A binding after range expansion: one container port. */
type SingleBinding = PortBinding & { containerPort: number }

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
}

const key = (m: Pick<PortMapping, 'protocol' | 'hostIP' | 'hostPort'>) =>
  `${m.protocol}/${m.hostIP.toString()}/${m.hostPort}`

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/

function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535
}

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
    if (this.#mappings.size > 0) await this.unmap([...this.#mappings.values()])
    for (const set of this.#sets.values()) await set.remove()
    this.#loopbackRule = undefined
    this.#started = false
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
  async map(bindings: PortBinding | PortBinding[]): Promise<PortMapping[]> {
    const list = (Array.isArray(bindings) ? bindings : [bindings]).flatMap((b) => expand(b))
    for (const b of list) this.#validate(b)
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

  /** Remove mappings made by `map`: proxy, rules (one batch per family), conntrack, ports. */
  async unmap(mappings: PortMapping | PortMapping[]): Promise<void> {
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
    for (const m of list) if (m.proxied) await this.#o.proxy!.remove(m).catch(() => undefined)
    for (const family of [4, 6] as const) {
      const mine = list.filter((m) => m.containerIP.version === family)
      if (mine.length === 0) continue
      await this.#set(family).update({
        remove: mine.flatMap((m) => mappingRules(m, this.chains, this.#o.bridge)),
      })
    }
    for (const m of list) {
      this.#mappings.delete(key(m))
      this.#o.allocator.releasePort(m.hostIP, m.protocol, m.hostPort)
      if (m.protocol !== 'tcp' && this.#o.conntrack !== false) {
        const ipt = m.containerIP.version === 4 ? this.#o.iptables! : this.#o.iptables6!
        await deleteConntrackEntries(
          { protocol: m.protocol, destinationPort: m.hostPort, family: m.containerIP.version },
          { runner: ipt.runner },
        ).catch(() => 0)
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
    return Promise.all([...this.#sets.values()].map((s) => s.verify()))
  }

  /** Re-install chains, rules and jumps lost to a firewall reload. */
  async reapply(): Promise<VerifyResult[]> {
    const out: VerifyResult[] = []
    for (const s of this.#sets.values()) out.push(await s.reapply())
    return out
  }
}

/** Split a binding with a container port range into one binding per port. */
function expand(b: PortBinding): SingleBinding[] {
  if (typeof b !== 'object' || b === null) {
    throw new BadRequestError('invalid-binding', 'a port binding must be an object')
  }
  const cp = b.containerPort
  if (typeof cp === 'number') return [{ ...b, containerPort: cp }]
  if (
    typeof cp !== 'object' ||
    cp === null ||
    !isPort(cp.start) ||
    !isPort(cp.end) ||
    cp.start > cp.end
  ) {
    throw new BadRequestError('invalid-port', `invalid container port range ${JSON.stringify(cp)}`)
  }
  const n = cp.end - cp.start + 1
  const hp = b.hostPort ?? 0
  let hostPortOf: (i: number) => number | PortRange
  if (hp === 0) hostPortOf = () => 0
  else if (typeof hp === 'number') {
    if (!isPort(hp) || hp + n - 1 > 65535) {
      throw new BadRequestError('invalid-port', `host ports ${hp}-${hp + n - 1} are out of range`)
    }
    hostPortOf = (i) => hp + i
  } else {
    if (!isPort(hp.start) || !isPort(hp.end) || hp.end - hp.start + 1 !== n) {
      throw new BadRequestError(
        'port-range-mismatch',
        `host port range ${JSON.stringify(hp)} must have as many ports as ${cp.start}-${cp.end}`,
        { details: { hostPort: hp, containerPort: cp } },
      )
    }
    hostPortOf = (i) => hp.start + i
  }
  return Array.from({ length: n }, (_, i) => ({
    ...b,
    hostPort: hostPortOf(i),
    containerPort: cp.start + i,
  }))
}

/** Stored form of mappings: JSON with addresses as text. */
export function serializeMappings(mappings: readonly PortMapping[]): string {
  return JSON.stringify(mappings)
}

/** Parse what `serializeMappings` wrote; BadRequestError on anything malformed. */
export function parseMappings(text: string): PortMapping[] {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw new BadRequestError('invalid-mappings', 'stored mappings are not JSON', { cause })
  }
  if (!Array.isArray(raw))
    throw new BadRequestError('invalid-mappings', 'stored mappings must be an array')
  return raw.map((r: Record<string, unknown>) => {
    const protocol = r.protocol
    if (
      (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') ||
      !isPort(r.hostPort) ||
      !isPort(r.containerPort) ||
      (r.bridge !== undefined && (typeof r.bridge !== 'string' || !IFNAME.test(r.bridge)))
    ) {
      throw new BadRequestError('invalid-mappings', `bad stored mapping ${JSON.stringify(r)}`)
    }
    return {
      protocol,
      hostIP: IP.parse(String(r.hostIP)),
      hostPort: r.hostPort,
      containerIP: IP.parse(String(r.containerIP)),
      containerPort: r.containerPort,
      proxied: r.proxied === true,
      ...(typeof r.bridge === 'string' ? { bridge: r.bridge } : {}),
    }
  })
}
