// The leftovers checker of the overlay scenarios: what a host namespace holds that a daemon or a
// driver made (namespaces named after the host, links, FDB and neighbour entries, addresses,
// iptables rules) and what the stores hold, as sorted lines, so a snapshot taken before a
// scenario and one taken after removing everything can be compared line by line.
import { Idm } from '@libnetwork/idm'
import { sh, type Host, type Underlay } from './harness.js'

export interface HostState {
  /** Named namespaces whose names start with one of the host's prefixes. */
  namespaces: string[]
  /** `name kind` of every link (an interface's index and altnames left out). */
  links: string[]
  /** `bridge fdb show` lines. */
  fdb: string[]
  /** `ip neigh` entries, without their state (REACHABLE/STALE change by themselves). */
  neigh: string[]
  /** `ip addr` addresses as `dev address/prefix`. */
  addrs: string[]
  /** `iptables-save` rules and chain declarations, without counters and comments. */
  rules: string[]
}

export interface Snapshot {
  hosts: Record<string, HostState>
  /** Store lines (`key = value`) from the stores the caller passed. */
  stores: string[]
}

export interface SnapshotOptions {
  /** Namespace-name prefixes counted as a host's (default `<host ns>-`: sandboxes, networks). */
  prefixes?: (h: Host) => string[]
  /** Extra store lines (a daemon's networks/endpoints/containers, an etcd dump...). */
  stores?: () => Promise<string[]>
  /** Also look inside each host's own namespaces under these prefixes (default true). */
  inside?: boolean
}

interface JLink {
  ifname: string
  linkinfo?: { info_kind?: string }
}
interface JAddr {
  ifname: string
  addr_info?: Array<{ local: string; prefixlen: number; scope?: string }>
}
interface JNeigh {
  dst: string
  dev: string
  lladdr?: string
  state?: string[]
}

const lines = (s: string): string[] =>
  s
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)

/** All named namespaces now (`ip netns list`). */
export async function allNamespaces(): Promise<string[]> {
  const out = (await sh(['ip', '-j', 'netns', 'list'])).trim()
  return (JSON.parse(out || '[]') as { name: string }[]).map((n) => n.name)
}

/** What namespace `ns` holds now (links, FDB, neighbours, addresses, rules). */
export async function nsState(ns: string): Promise<Omit<HostState, 'namespaces'>> {
  const ip = (...a: string[]) => sh(['ip', '-n', ns, '-j', ...a])
  const links = (JSON.parse((await ip('-d', 'link', 'show')) || '[]') as JLink[]).map(
    (l) => `${l.ifname} ${l.linkinfo?.info_kind ?? '-'}`,
  )
  const addrs = (JSON.parse((await ip('addr', 'show')) || '[]') as JAddr[]).flatMap((a) =>
    (a.addr_info ?? [])
      // the kernel's own link-local addresses come and go with links; the links are counted
      .filter((i) => i.scope !== 'link')
      .map((i) => `${a.ifname} ${i.local}/${i.prefixlen}`),
  )
  const neigh = (JSON.parse((await ip('neigh', 'show')) || '[]') as JNeigh[])
    .filter((n) => !(n.state ?? []).includes('FAILED') && !(n.state ?? []).includes('INCOMPLETE'))
    .map((n) => `${n.dst} dev ${n.dev} lladdr ${n.lladdr ?? '-'}`)
  const fdb = lines(await sh(['ip', 'netns', 'exec', ns, 'bridge', 'fdb', 'show']))
  let table = ''
  const rules: string[] = []
  for (const l of lines(await sh(['ip', 'netns', 'exec', ns, 'iptables-save']))) {
    if (l.startsWith('*')) table = l.slice(1)
    else if (!l.startsWith('#') && l !== 'COMMIT')
      rules.push(`${table} ${l.startsWith(':') ? l.replace(/ \[\d+:\d+\]$/, '') : l}`)
  }
  return { links, addrs, neigh, fdb, rules }
}

/**
 * A snapshot of every host of `u`: the host's namespace itself, plus the names of namespaces
 * under its prefixes (and, with `inside`, their contents, each line prefixed by the name).
 */
export async function snapshot(u: Underlay, opts: SnapshotOptions = {}): Promise<Snapshot> {
  const prefixes = opts.prefixes ?? ((h: Host) => [`${h.ns}-`])
  const all = await allNamespaces()
  const hosts: Record<string, HostState> = {}
  for (const h of u.hosts) {
    const mine = all.filter((n) => prefixes(h).some((p) => n.startsWith(p))).sort()
    const st = await nsState(h.ns)
    const state: HostState = { namespaces: mine, ...st }
    if (opts.inside ?? true) {
      for (const n of mine) {
        const inner = await nsState(n).catch(() => undefined) // gone meanwhile
        if (!inner) continue
        for (const k of ['links', 'addrs', 'neigh', 'fdb', 'rules'] as const)
          state[k].push(...inner[k].map((l) => `${n}: ${l}`))
      }
    }
    for (const k of Object.keys(state) as (keyof HostState)[]) state[k].sort()
    hosts[h.name] = state
  }
  return { hosts, stores: opts.stores ? (await opts.stores()).sort() : [] }
}

/**
 * What `after` holds that `before` did not, one line per leftover
 * (`h2 fdb: 02:42:... dev vx-... dst 10.99.0.11 self permanent`). Neighbour entries of the
 * underlay's own addresses on `eth0` are the underlay's, not the product's, and are ignored.
 */
export function leftovers(before: Snapshot, after: Snapshot, underlaySubnet = '10.99.0'): string[] {
  const out: string[] = []
  for (const [name, st] of Object.entries(after.hosts)) {
    const was = before.hosts[name]
    for (const k of Object.keys(st) as (keyof HostState)[]) {
      const old = new Set(was?.[k] ?? [])
      for (const l of st[k]) {
        if (old.has(l)) continue
        if (k === 'neigh' && l.startsWith(`${underlaySubnet}.`) && l.includes(' dev eth0 '))
          continue
        out.push(`${name} ${k}: ${l}`)
      }
    }
  }
  const old = new Set(before.stores)
  for (const l of after.stores) if (!old.has(l)) out.push(`store: ${l}`)
  return out
}

/** Every key and value in etcd (through its v3 JSON gateway, from host `via`), as lines. */
export async function etcdDump(via: Host, endpoint: string): Promise<string[]> {
  // key "\0" with range_end "\0": every key
  const body = JSON.stringify({ key: 'AA==', range_end: 'AA==' })
  const out = await via.exec([
    'curl',
    '-sf',
    '--max-time',
    '5',
    '-X',
    'POST',
    '-d',
    body,
    `${endpoint}/v3/kv/range`,
  ])
  const kvs = (JSON.parse(out) as { kvs?: Array<{ key: string; value?: string }> }).kvs ?? []
  const lines: string[] = []
  for (const kv of kvs) {
    const key = Buffer.from(kv.key, 'base64').toString('utf8')
    const value = Buffer.from(kv.value ?? '', 'base64')
    const shown = allocatorState(key, value)
    if (shown === 'empty') continue
    lines.push(`${key} = ${shown ?? value.toString('utf8')}`)
  }
  return lines
}

/**
 * The allocators' own keys outlive what they hand out (as upstream's): the overlay's VNI set
 * (an idm bitmap) and the global IPAM's pool list. Holding nothing they are `empty` (not a
 * leftover); holding something, a readable summary. Other keys: undefined.
 */
export function allocatorState(key: string, value: Uint8Array): string | undefined {
  if (key.endsWith('overlay/vxlan-ids')) {
    const idm = Idm.fromBytes(value)
    const used: number[] = []
    if (idm.available === idm.end - idm.start + 1) return 'empty'
    for (let id = idm.start; id <= idm.end && used.length < 20; id++)
      if (idm.isAllocated(id)) used.push(id)
    return `VNIs in use: ${used.join(',')}`
  }
  if (/\/ipam\/v1\/[^/]+\/pools$/.test(key)) {
    const p = JSON.parse(Buffer.from(value).toString('utf8')) as { masters?: []; subs?: [] }
    if (!p.masters?.length && !p.subs?.length) return 'empty'
  }
  return undefined
}
