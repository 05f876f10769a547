import type { Driver } from '@libnetwork/driverapi'
import type { IpamDriver } from '@libnetwork/ipam'
import type { InterfaceAddress, Logger } from '@libnetwork/types'
import type { SandboxOS } from './contracts.js'
import type { TypedEmitter } from './events.js'
import type { Records } from './records.js'
import type { RemoteEntry } from './remote.js'
import type { Drivers, Ipams } from './registry.js'
import type { Teardowns } from './teardown.js'
import type { EndpointInfo, NetworkInfo, SandboxInfo } from './model.js'
import { toRecord } from './model.js'
import { networkRecord } from './shared.js'

export interface PoolRef {
  poolId: string
  gateway?: InterfaceAddress
}

export interface NetRuntime {
  info: NetworkInfo
  /** The network's driver and IPAM (null IPAM: undefined), resolved when it was made. */
  driver: Driver
  ipam: IpamDriver | undefined
  parsed: unknown
  v4: PoolRef[]
  v6: PoolRef[]
}

/** Hooks for service discovery (hosts files, resolv.conf, embedded DNS). */
export interface DiscoveryHooks {
  /** A sandbox was made (or restored): write its files; return their paths. */
  sandboxCreated(sb: SandboxInfo): Promise<{ hostsPath?: string; resolvConfPath?: string }>
  /** `sb` is gone: stop serving it; its files may be removed in the background. */
  sandboxDeleted(sb: SandboxInfo): Promise<void>
  /** `ep` of `net` joined `sb` (also called for every joined endpoint on restore). */
  joined(sb: SandboxInfo, ep: EndpointInfo, net: NetworkInfo): Promise<void>
  left(sb: SandboxInfo, ep: EndpointInfo, net: NetworkInfo): Promise<void>
  /**
   * Other hosts' endpoints on network `networkId` appeared (`added`, replacing those of the same
   * endpoint id) or went away (`removed`). Kept for networks no sandbox here is on yet.
   */
  remoteRecords?(networkId: string, added: RemoteEntry[], removed: RemoteEntry[]): Promise<void>
  /**
   * At restore, after the stale sandboxes are gone: remove the files of every sandbox not in
   * `keep` (left by a daemon killed before it could remove them).
   */
  prune?(keep: ReadonlySet<string>): Promise<string[]>
  /** Resolves when background work (file removal) is done; throws if some of it failed. */
  settled?(): Promise<void>
  stop?(): Promise<void>
}

/** Everything the controller's parts share. */
export interface State {
  networks: Map<string, NetRuntime>
  endpoints: Map<string, EndpointInfo>
  sandboxes: Map<string, SandboxInfo>
  drivers: Drivers
  ipams: Ipams
  records: Records
  logger: Logger
  os: SandboxOS
  emitter: TypedEmitter
  namespacePrefix: string
  discovery: DiscoveryHooks
  /** Driver steps of left endpoints waiting for the kernel to delete their interfaces. */
  teardowns: Teardowns
}

export const keys = {
  network: (id: string) => `network/${id}`,
  endpoint: (id: string) => `endpoint/${id}`,
  sandbox: (id: string) => `sandbox/${id}`,
}

export const save = {
  network: (s: State, n: NetRuntime) =>
    s.records.put(keys.network(n.info.id), networkRecord(n), n.info.scope),
  endpoint: (s: State, e: EndpointInfo) => s.records.put(keys.endpoint(e.id), toRecord(e)),
  sandbox: (s: State, sb: SandboxInfo) => s.records.put(keys.sandbox(sb.id), toRecord(sb)),
  /** An endpoint's and its sandbox's records in one conditional batch (join, leave). */
  joined: (s: State, e: EndpointInfo, sb: SandboxInfo) =>
    s.records.batch([
      { key: keys.endpoint(e.id), value: toRecord(e) },
      { key: keys.sandbox(sb.id), value: toRecord(sb) },
    ]),
}

/** Deep-enough copy so callers cannot mutate the controller's state. */
export function snapshot<T extends object>(v: T): T {
  return structuredCloneInfo(v)
}

function structuredCloneInfo<T>(v: T): T {
  if (Array.isArray(v)) return v.map(structuredCloneInfo) as T
  if (v && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype) {
    return Object.fromEntries(
      Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, structuredCloneInfo(x)]),
    ) as T
  }
  return v // IP values are immutable
}
