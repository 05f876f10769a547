// Overlay networks across dnet daemons on the harness's hosts: a cluster of daemons (with etcd
// as the global store, or etcd-less), an overlay network on all of them, pings between
// containers over the underlay, the hosts' overlay namespaces and their FDB entries, and the
// daemons' stores as lines for the leftovers checker.
import { randomBytes } from 'node:crypto'
import { Underlay, sh, until, type Teardown } from './harness.js'
import {
  ApiError,
  startCluster,
  untilMembers,
  type Daemon,
  type DaemonOptions,
  type NetworkView,
} from './daemons.js'
import { allNamespaces, etcdDump, leftovers, snapshot, type Snapshot } from './overlay-leftovers.js'

export const VNI_OPTION = 'com.docker.network.driver.overlay.vxlanid_list'

/** The `skip` of a test that builds namespaces: false as root, else the reason. */
export const needsRoot: false | string =
  process.getuid?.() === 0 ? false : 'needs root (network namespaces)'

export type Mode = 'etcd' | 'etcdless'

export interface OverlayWorld {
  u: Underlay
  ds: Daemon[]
  mode: Mode
}

/** `hosts` daemons in one cluster (with etcd as the global store in `etcd` mode). */
export async function overlayWorld(
  t: Teardown,
  mode: Mode,
  hosts = 3,
  opts: Omit<DaemonOptions, 'cluster' | 'etcd'> = {},
): Promise<OverlayWorld> {
  const u = await Underlay.create(t, { hosts })
  // etcd lives as long as the daemons (the harness's default is 240 s)
  if (mode === 'etcd') await u.startEtcd({ lifetimeS: opts.lifetimeS ?? 240 })
  const ds = await startCluster(u, { ...opts, ...(mode === 'etcd' ? { etcd: true } : {}) })
  await untilMembers(ds)
  return { u, ds, mode }
}

export interface OverlaySpec {
  name: string
  /** e.g. `10.70.0.0/24`; in etcd-less mode host i hands out from its own quarter of it. */
  subnet: string
  /** The VXLAN id (required etcd-less; in etcd mode optional). */
  vni?: number
  internal?: boolean
  options?: Record<string, string>
  /** etcd-less: host i's address range (default `hostRange(subnet, i)`). */
  range?: (i: number) => string
}

/** A /24's per-host range for etcd-less mode: host i (0-based) gets `.(32*(i+1))/27`. */
export const hostRange = (subnet: string, i: number): string =>
  subnet.replace(/\.0\/24$/, `.${32 * (i + 1)}/27`)

/**
 * The network on every daemon: in `etcd` mode created on the first host, then waited for on the
 * others; etcd-less, created on each host with one id, the VNI and a per-host address range.
 */
export async function createOverlay(w: OverlayWorld, spec: OverlaySpec): Promise<NetworkView> {
  const options: Record<string, string> = { ...spec.options }
  if (spec.vni !== undefined) options[VNI_OPTION] = String(spec.vni)
  const base = {
    name: spec.name,
    driver: 'overlay',
    options,
    ...(spec.internal ? { internal: true } : {}),
  }
  if (w.mode === 'etcd') {
    const n = await w.ds[0]!.createNetwork({ ...base, ipam: { config: [{ subnet: spec.subnet }] } })
    for (const d of w.ds.slice(1))
      await until(`${spec.name} on ${d.host.name}`, async () =>
        (await d.networks()).some((x) => x.id === n.id),
      )
    return n
  }
  const id = randomBytes(32).toString('hex')
  let first: NetworkView | undefined
  for (const [i, d] of w.ds.entries()) {
    const n = await d.createNetwork({
      ...base,
      id,
      ipam: {
        config: [
          { subnet: spec.subnet, ipRange: (spec.range ?? ((k) => hostRange(spec.subnet, k)))(i) },
        ],
      },
    })
    first ??= n
  }
  return first!
}

/** Remove the network from every daemon (etcd mode: from the first; gone on all). */
export async function removeOverlay(w: OverlayWorld, name: string): Promise<void> {
  if (w.mode === 'etcd') {
    await w.ds[0]!.deleteNetwork(name)
    for (const d of w.ds)
      await until(`${name} gone from ${d.host.name}`, async () =>
        (await d.networks()).every((x) => x.name !== name),
      )
    return
  }
  for (const d of w.ds) await d.deleteNetwork(name)
}

/**
 * Remove the local gateway network (`docker_gwbridge`) where a daemon made one: like upstream's,
 * it stays after its last endpoint until removed.
 */
export async function removeGateways(w: OverlayWorld): Promise<void> {
  for (const d of w.ds)
    if ((await d.networks()).some((n) => n.name === 'docker_gwbridge'))
      await d.deleteNetwork('docker_gwbridge')
}

/** The address of an endpoint view without its prefix length. */
export const ipOf = (a: string | null): string => {
  if (!a) throw new Error('endpoint without an IPv4 address')
  return a.split('/')[0]!
}

/** One ping from `container` (of daemon `d`) to `ip`; answered within a second or not. */
export async function pingOnce(d: Daemon, container: string, ip: string): Promise<boolean> {
  try {
    await d.inContainer(container, ['ping', '-c', '1', '-W', '1', ip])
    return true
  } catch {
    return false
  }
}

/** Waits until `container` answers pings to `ip`. */
export async function untilPing(d: Daemon, container: string, ip: string, limitMs = 30_000) {
  await until(
    `${container} on ${d.host.name} to reach ${ip}`,
    () => pingOnce(d, container, ip),
    limitMs,
  )
}

/** The default route of a container (`ip route show default`), '' when it has none. */
export async function defaultRoute(d: Daemon, container: string): Promise<string> {
  return (await d.inContainer(container, ['ip', 'route', 'show', 'default'])).trim()
}

/** Namespaces under the host's prefix that hold a VXLAN device: its overlay networks'. */
export async function overlayNamespaces(d: Daemon): Promise<string[]> {
  const out: string[] = []
  for (const ns of await allNamespaces()) {
    if (!ns.startsWith(`${d.host.ns}-`)) continue
    const links = await sh(['ip', '-n', ns, '-d', '-o', 'link', 'show', 'type', 'vxlan']).catch(
      () => '',
    )
    if (links.trim()) out.push(ns)
  }
  return out
}

/** Static FDB entries towards remote VTEPs on this host's overlay namespaces (`dst` lines). */
export async function remoteFdb(d: Daemon): Promise<string[]> {
  const out: string[] = []
  for (const ns of await overlayNamespaces(d)) {
    const fdb = await sh(['ip', 'netns', 'exec', ns, 'bridge', 'fdb', 'show']).catch(() => '')
    out.push(
      ...fdb.split('\n').filter((l) => / dst \d/.test(l) && !l.startsWith('00:00:00:00:00:00')),
    )
  }
  return out
}

/** Each daemon's networks, endpoints and containers (and etcd's keys) as store lines. */
export function storeLines(w: OverlayWorld): () => Promise<string[]> {
  return async () => {
    const out: string[] = []
    for (const d of w.ds) {
      if (!d.running) continue
      for (const n of await d.networks()) out.push(`${d.host.name} network ${n.name} ${n.id}`)
      for (const e of await d.services())
        out.push(`${d.host.name} endpoint ${e.name} ${e.networkName}`)
      for (const s of await d.api<{ containerId: string }[]>('GET', '/sandboxes'))
        out.push(`${d.host.name} container ${s.containerId}`)
    }
    if (w.u.etcd) out.push(...(await etcdDump(w.u.hosts[0]!, w.u.etcd.endpoint)))
    return out
  }
}

/** A snapshot of every host and store of the world (see overlay-leftovers.ts). */
export function snap(w: OverlayWorld): Promise<Snapshot> {
  return snapshot(w.u, { stores: storeLines(w) })
}

/**
 * The leftovers once teardown has settled: a removal answers before the kernel work behind it
 * (an overlay namespace going away) is done, so wait up to `limitMs` for none, and return what
 * is still there then.
 */
export async function settledLeftovers(
  w: OverlayWorld,
  before: Snapshot,
  limitMs = 30_000,
): Promise<string[]> {
  const end = Date.now() + limitMs
  for (;;) {
    const left = await leftoversSince(w, before)
    if (left.length === 0 || Date.now() > end) return left
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** What the world holds now that `before` did not (hosts and stores). */
export async function leftoversSince(w: OverlayWorld, before: Snapshot): Promise<string[]> {
  return leftovers(before, await snap(w), w.u.subnet)
}

/** The typed error of a rejected API call, for `t.rejects`-style matching. */
export async function apiError(p: Promise<unknown>): Promise<ApiError> {
  try {
    await p
  } catch (e) {
    if (e instanceof ApiError) return e
    throw e
  }
  throw new Error('the call succeeded')
}
