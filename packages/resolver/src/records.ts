/**
 * What the resolver answers from: the synchronous `RecordSource` contract, and `RecordTable`,
 * its in-memory implementation whose updates are plain, structured-clone-able messages (so a
 * table in the main thread can mirror itself into a resolver worker).
 */
import { BadRequestError, IP } from '@libnetwork/types'

/** Addresses for a name. `roundRobin` rotates the order from one answer to the next. */
export interface HostAnswer {
  ipv4: readonly string[]
  ipv6: readonly string[]
  roundRobin: boolean
}

export interface SrvTarget {
  target: string
  port: number
  priority: number
  weight: number
}

export interface SrvAnswer {
  records: readonly SrvTarget[]
  /** Addresses of the targets, for the additional section. */
  additional: readonly { name: string; ipv4: readonly string[]; ipv6: readonly string[] }[]
}

/**
 * A lookup gives the answer, `'nxdomain'` (the name is in a domain we own but does not exist),
 * or `undefined` (not ours: forward it). Names are lower case, without the trailing dot.
 * Implementations must be synchronous and fast; `version` must change whenever any answer
 * may change (the resolver caches encoded answers until it does).
 */
export interface RecordSource {
  readonly version: number
  lookupName(name: string): HostAnswer | 'nxdomain' | undefined
  /** `address` is canonical text (`IP.toString()`); answers are PTR target names. */
  lookupAddress(address: string): readonly string[] | 'nxdomain' | undefined
  lookupService(name: string): SrvAnswer | 'nxdomain' | undefined
}

/** A change to a RecordTable, as a plain object (postMessage-safe). */
export type RecordUpdate =
  | { op: 'add-host'; network: string; name: string; ips: string[]; alias?: boolean }
  | { op: 'remove-host'; network: string; name: string; ips?: string[] }
  | { op: 'add-service'; network: string; service: string; ips: string[] }
  | { op: 'remove-service'; network: string; service: string; ips?: string[] }
  | { op: 'add-srv'; network: string; name: string; targets: SrvTarget[] }
  | { op: 'remove-srv'; network: string; name: string }
  | { op: 'remove-network'; network: string }

interface Host {
  /** Aliases answer A/AAAA but are never the PTR name of an address. */
  alias: boolean
  ipv4: Set<string>
  ipv6: Set<string>
}

interface Network {
  hosts: Map<string, Host>
  tasks: Map<string, Host>
  srv: Map<string, SrvTarget[]>
}

const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/

function checkName(kind: string, name: unknown): string {
  if (typeof name !== 'string') {
    throw new BadRequestError('invalid-name', `${kind} must be a string`, { details: { kind } })
  }
  const n = name.toLowerCase().replace(/\.$/, '')
  if (n.length === 0 || n.length > 253 || !n.split('.').every((l) => LABEL.test(l))) {
    throw new BadRequestError('invalid-name', `invalid ${kind} ${JSON.stringify(name)}`, {
      details: { kind, value: name },
    })
  }
  return n
}

function checkIPs(ips: unknown): IP[] {
  if (!Array.isArray(ips)) throw new BadRequestError('invalid-ip', 'ips must be an array')
  return ips.map((ip: unknown) => (ip instanceof IP ? ip : IP.parse(ip as string)))
}

function checkTargets(targets: unknown): SrvTarget[] {
  if (!Array.isArray(targets) || targets.length === 0) {
    throw new BadRequestError('invalid-srv', 'an SRV record needs at least one target')
  }
  return targets.map((t: SrvTarget) => {
    const u16 = (v: unknown) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 65535
    if (typeof t !== 'object' || t === null || !u16(t.port) || !u16(t.priority) || !u16(t.weight)) {
      throw new BadRequestError('invalid-srv', 'SRV port, priority and weight are 0-65535', {
        details: { target: JSON.stringify(t) },
      })
    }
    return {
      target: checkName('SRV target', t.target),
      port: t.port,
      priority: t.priority,
      weight: t.weight,
    }
  })
}

function addIPs(host: Host, ips: IP[]): void {
  for (const ip of ips) (ip.version === 4 ? host.ipv4 : host.ipv6).add(ip.toString())
}

/**
 * Container names per network. A bare name is looked up in each network in the order the
 * networks were first added; `name.<network>` only in that network, and names under a known
 * network domain that do not exist are NXDOMAIN. `tasks.<service>` answers every task address,
 * rotated from one answer to the next. PTR answers `<name>.<network>`.
 */
export class RecordTable implements RecordSource {
  private networks = new Map<string, Network>()
  private listeners = new Set<(u: RecordUpdate) => void>()
  private _version = 0

  get version(): number {
    return this._version
  }

  addHost(network: string, name: string, ips: IP[]): void {
    this.apply({ op: 'add-host', network, name, ips: ips.map(String) })
  }

  /** A network-scoped alias of a container (`--network-alias`): resolves, but has no PTR. */
  addAlias(network: string, alias: string, ips: IP[]): void {
    this.apply({ op: 'add-host', network, name: alias, ips: ips.map(String), alias: true })
  }

  removeHost(network: string, name: string, ips?: IP[]): void {
    this.apply(
      ips === undefined
        ? { op: 'remove-host', network, name }
        : { op: 'remove-host', network, name, ips: ips.map(String) },
    )
  }

  addService(network: string, service: string, ips: IP[]): void {
    this.apply({ op: 'add-service', network, service, ips: ips.map(String) })
  }

  removeService(network: string, service: string, ips?: IP[]): void {
    this.apply(
      ips === undefined
        ? { op: 'remove-service', network, service }
        : { op: 'remove-service', network, service, ips: ips.map(String) },
    )
  }

  addSrv(network: string, name: string, targets: SrvTarget[]): void {
    this.apply({ op: 'add-srv', network, name, targets })
  }

  removeSrv(network: string, name: string): void {
    this.apply({ op: 'remove-srv', network, name })
  }

  removeNetwork(network: string): void {
    this.apply({ op: 'remove-network', network })
  }

  /** Called after each applied update (to forward it to a worker). Returns an unsubscribe. */
  subscribe(listener: (u: RecordUpdate) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** Updates that rebuild this table from empty. */
  snapshot(): RecordUpdate[] {
    const out: RecordUpdate[] = []
    for (const [network, n] of this.networks) {
      for (const [name, h] of n.hosts) {
        const ips = [...h.ipv4, ...h.ipv6]
        out.push(
          h.alias
            ? { op: 'add-host', network, name, ips, alias: true }
            : { op: 'add-host', network, name, ips },
        )
      }
      for (const [service, h] of n.tasks) {
        out.push({ op: 'add-service', network, service, ips: [...h.ipv4, ...h.ipv6] })
      }
      for (const [name, targets] of n.srv) {
        out.push({ op: 'add-srv', network, name, targets: targets.map((t) => ({ ...t })) })
      }
    }
    return out
  }

  /** Apply one update; validated first, so a bad update throws and changes nothing. */
  apply(update: RecordUpdate): void {
    if (typeof update !== 'object' || update === null) {
      throw new BadRequestError('invalid-update', 'a record update must be an object')
    }
    const network = checkName('network', update.network)
    switch (update.op) {
      case 'add-host': {
        const name = checkName('name', update.name)
        const ips = checkIPs(update.ips)
        const host = getOr(this.net(network).hosts, name)
        addIPs(host, ips)
        // A name added once as a real host stays one (it keeps its PTR).
        if (update.alias !== true) host.alias = false
        break
      }
      case 'add-service': {
        const name = checkName('service', update.service)
        const ips = checkIPs(update.ips)
        addIPs(getOr(this.net(network).tasks, name), ips)
        break
      }
      case 'remove-host':
      case 'remove-service': {
        const name = checkName('name', update.op === 'remove-host' ? update.name : update.service)
        const ips = update.ips === undefined ? undefined : checkIPs(update.ips).map(String)
        const n = this.networks.get(network)
        const map = update.op === 'remove-host' ? n?.hosts : n?.tasks
        const h = map?.get(name)
        if (map === undefined || h === undefined) return
        if (ips === undefined) map.delete(name)
        else {
          for (const ip of ips) if (!h.ipv4.delete(ip)) h.ipv6.delete(ip)
          if (h.ipv4.size + h.ipv6.size === 0) map.delete(name)
        }
        break
      }
      case 'add-srv': {
        const name = checkName('SRV name', update.name)
        this.net(network).srv.set(name, checkTargets(update.targets))
        break
      }
      case 'remove-srv':
        this.networks.get(network)?.srv.delete(checkName('SRV name', update.name))
        break
      case 'remove-network':
        this.networks.delete(network)
        break
      default:
        throw new BadRequestError('invalid-update', 'unknown record update', {
          details: { op: String((update as { op: unknown }).op) },
        })
    }
    this._version++
    for (const l of this.listeners) l(update)
  }

  private net(name: string): Network {
    let n = this.networks.get(name)
    if (n === undefined) {
      n = { hosts: new Map(), tasks: new Map(), srv: new Map() }
      this.networks.set(name, n)
    }
    return n
  }

  /** Split `a.b.<network>` into [`a.b`, network] when `<network>` is one of ours. */
  private scoped(name: string): [string, Network] | undefined {
    for (let dot = name.indexOf('.'); dot >= 0; dot = name.indexOf('.', dot + 1)) {
      const n = this.networks.get(name.slice(dot + 1))
      if (n !== undefined) return [name.slice(0, dot), n]
    }
    return undefined
  }

  private find<T>(
    name: string,
    pick: (n: Network, key: string) => T | undefined,
  ): T | 'nxdomain' | undefined {
    for (const n of this.networks.values()) {
      const v = pick(n, name)
      if (v !== undefined) return v
    }
    const scoped = this.scoped(name)
    if (scoped === undefined) return undefined
    return pick(scoped[1], scoped[0]) ?? 'nxdomain'
  }

  lookupName(name: string): HostAnswer | 'nxdomain' | undefined {
    return this.find(name, (n, key) => {
      const h = n.hosts.get(key)
      if (h !== undefined) return { ipv4: [...h.ipv4], ipv6: [...h.ipv6], roundRobin: false }
      if (key.startsWith('tasks.')) {
        const t = n.tasks.get(key.slice(6))
        if (t !== undefined) return { ipv4: [...t.ipv4], ipv6: [...t.ipv6], roundRobin: true }
      }
      return undefined
    })
  }

  lookupAddress(address: string): readonly string[] | 'nxdomain' | undefined {
    const key = address
    for (const [network, n] of this.networks) {
      for (const [name, h] of n.hosts) {
        if (!h.alias && (h.ipv4.has(key) || h.ipv6.has(key))) return [`${name}.${network}`]
      }
    }
    return undefined
  }

  lookupService(name: string): SrvAnswer | 'nxdomain' | undefined {
    return this.find(name, (n, key) => {
      const targets = n.srv.get(key)
      if (targets === undefined) return undefined
      const additional = []
      for (const t of targets) {
        const a = this.lookupName(t.target)
        if (typeof a === 'object') additional.push({ name: t.target, ipv4: a.ipv4, ipv6: a.ipv6 })
      }
      return { records: targets, additional }
    })
  }
}

function getOr(map: Map<string, Host>, key: string): Host {
  let h = map.get(key)
  if (h === undefined) {
    h = { alias: true, ipv4: new Set(), ipv6: new Set() }
    map.set(key, h)
  }
  return h
}
