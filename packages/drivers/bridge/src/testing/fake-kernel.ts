import { BadRequestError, ConflictError, NotFoundError } from '@libnetwork/types'
import type { BridgeKernel, BridgeSpec, LinkInfo, VethSpec } from '../kernel.js'

/** The driver's own namespace in `FakeKernel` (sandboxes are named by their key). */
export const HOST = 'host'

/** A link of the fake kernel. */
export interface FakeLink {
  name: string
  kind: 'bridge' | 'veth'
  /** The namespace it is in: `HOST` or a sandbox key. */
  netns: string
  mtu: number
  up: boolean
  master?: string
  alias?: string
  /** Addresses as text (`10.0.0.1/24`). */
  addresses: string[]
  mac?: string
  hairpin: boolean
  /** The other end of a veth pair: its namespace and name. */
  peer?: { netns: string; name: string }
}

type Method = keyof BridgeKernel

/**
 * The `BridgeKernel` as an in-memory model: links per namespace (the driver's, `HOST`, and any
 * sandbox key a veth end is created in), veth pairs that die together, bridge ports, addresses
 * and sysctls. It refuses what the kernel refuses (a name taken, a missing master, a bridge
 * name held by another kind). Every call is recorded in `calls`; `fail` plans a failure.
 */
export class FakeKernel implements BridgeKernel {
  readonly calls: Array<{ method: Method; arg?: string }> = []
  readonly sysctls = new Map<string, string>()
  readonly #links = new Map<string, Map<string, FakeLink>>()
  readonly #failures: Array<{ method: Method; err: Error }> = []

  /** A link by name in a namespace (default the driver's own). */
  link(name: string, netns: string = HOST): FakeLink | undefined {
    return this.#links.get(netns)?.get(name)
  }

  /** Every link of a namespace, sorted by name. */
  linksIn(netns: string = HOST): FakeLink[] {
    return [...(this.#links.get(netns)?.values() ?? [])].sort((a, b) =>
      a.name.localeCompare(b.name),
    )
  }

  /** Make the next call of `method` throw `err`. */
  fail(method: Method, err: Error = new Error(`${method} failed (planned)`)): void {
    this.#failures.push({ method, err })
  }

  /** Add a link the driver did not make (another program's, or a leftover of a crash). */
  add(link: Partial<FakeLink> & { name: string; kind: 'bridge' | 'veth' }): FakeLink {
    const l: FakeLink = {
      netns: HOST,
      mtu: 1500,
      up: false,
      addresses: [],
      hairpin: false,
      ...link,
    }
    this.#ns(l.netns).set(l.name, l)
    return l
  }

  /** A sandbox goes away: its links die, and veth peers with them. */
  removeNetns(netns: string): void {
    for (const l of this.linksIn(netns)) this.#delete(l)
    this.#links.delete(netns)
  }

  #ns(netns: string): Map<string, FakeLink> {
    let m = this.#links.get(netns)
    if (!m) {
      m = new Map<string, FakeLink>()
      this.#links.set(netns, m)
    }
    return m
  }

  #enter(method: Method, arg?: string): void {
    this.calls.push({ method, ...(arg === undefined ? {} : { arg }) })
    const i = this.#failures.findIndex((f) => f.method === method)
    if (i >= 0) throw this.#failures.splice(i, 1)[0]!.err
  }

  #delete(l: FakeLink): void {
    this.#links.get(l.netns)?.delete(l.name)
    if (l.peer) this.#links.get(l.peer.netns)?.delete(l.peer.name)
    if (l.kind === 'bridge')
      for (const port of this.#ns(HOST).values()) if (port.master === l.name) delete port.master
  }

  #bridge(name: string): FakeLink {
    const br = this.link(name)
    if (br?.kind !== 'bridge')
      throw new NotFoundError('link-not-found', `no bridge ${name}`, { details: { name } })
    return br
  }

  async links(): Promise<LinkInfo[]> {
    this.#enter('links')
    return this.linksIn().map((l) => ({
      name: l.name,
      kind: l.kind,
      master: l.master,
      alias: l.alias,
    }))
  }

  async ensureBridge(spec: BridgeSpec): Promise<void> {
    this.#enter('ensureBridge', spec.name)
    const existing = this.link(spec.name)
    if (existing && existing.kind !== 'bridge') {
      throw new BadRequestError('not-a-bridge', `${spec.name} exists and is not a bridge`, {
        details: { name: spec.name },
      })
    }
    const br = existing ?? this.add({ name: spec.name, kind: 'bridge' })
    br.mtu = spec.mtu
    br.alias = spec.alias
    for (const a of spec.addresses)
      if (!br.addresses.includes(a.toString())) br.addresses.push(a.toString())
    br.up = true
  }

  async createVeth(s: VethSpec): Promise<void> {
    this.#enter('createVeth', s.host)
    const peerNs = s.peerNetns ?? HOST
    for (const [ns, name] of [
      [HOST, s.host],
      [peerNs, s.peer],
    ] as const) {
      if (this.link(name, ns))
        throw new ConflictError('link-exists', `link ${name} exists`, { details: { name } })
    }
    this.#bridge(s.master)
    this.add({
      name: s.host,
      kind: 'veth',
      mtu: s.mtu,
      master: s.master,
      alias: s.alias,
      up: true,
      hairpin: s.hairpin,
      peer: { netns: peerNs, name: s.peer },
    })
    this.add({
      name: s.peer,
      kind: 'veth',
      netns: peerNs,
      mtu: s.mtu,
      ...(s.peerMac ? { mac: s.peerMac } : {}),
      peer: { netns: HOST, name: s.host },
    })
  }

  async attach(name: string, master: string, hairpin: boolean): Promise<void> {
    this.#enter('attach', name)
    const l = this.link(name)
    if (!l) throw new NotFoundError('link-not-found', `no link ${name}`, { details: { name } })
    this.#bridge(master)
    l.master = master
    l.up = true
    if (hairpin) l.hairpin = true
  }

  async deleteLink(name: string): Promise<void> {
    this.#enter('deleteLink', name)
    const l = this.link(name)
    if (l) this.#delete(l)
  }

  async setSysctl(key: string, value: string): Promise<void> {
    this.#enter('setSysctl', key)
    this.sysctls.set(key, value)
  }

  async getSysctl(key: string): Promise<string> {
    this.#enter('getSysctl', key)
    const v = this.sysctls.get(key)
    if (v === undefined)
      throw new NotFoundError('sysctl-not-found', `no sysctl ${key}`, { details: { key } })
    return v
  }
}
