/**
 * Global-scope networks shared through the global store (etcd): their records with the pool ids
 * every host uses, and the count of their endpoints on all hosts, changed with compare-and-swap
 * so that no host removes a network another host still has endpoints on.
 */
import { ConflictError, NotFoundError } from '@libnetwork/types'
import { endpointFromRecord, toRecord, type EndpointInfo, type NetworkInfo } from './model.js'
import { DELETING } from './networks.js'
import { keys, type NetRuntime, type State } from './state.js'

/** Field of a network record holding its IPAM pool ids (opaque to everyone but the IPAM). */
export const POOLS = 'pools'

export interface StoredPools {
  v4: string[]
  v6: string[]
}

/** Key of a shared network's endpoint count (global store). */
export const countKey = (networkId: string): string => `endpoint_count/${networkId}`

/**
 * A global-scope network whose record, pools and endpoint count live in the global store: every
 * host sees it, and the pools are reserved once for the whole cluster.
 */
export function isShared(s: State, info: NetworkInfo): boolean {
  return info.scope === 'global' && s.records.hasGlobal
}

/** A network's record: its info and the ids of its pools. */
export function networkRecord(n: NetRuntime): Record<string, unknown> {
  return {
    ...(toRecord(n.info) as Record<string, unknown>),
    [POOLS]: { v4: n.v4.map((r) => r.poolId), v6: n.v6.map((r) => r.poolId) },
  }
}

/** The pool ids a network record carries (absent in records written before they were kept). */
export function storedPools(record: Record<string, unknown>): StoredPools | undefined {
  const p = record[POOLS] as Partial<StoredPools> | undefined
  if (!p || !Array.isArray(p.v4) || !Array.isArray(p.v6)) return undefined
  return { v4: p.v4.map(String), v6: p.v6.map(String) }
}

/** A new shared network: its record and its endpoint count (0), both new, in one batch. */
export async function saveSharedNetwork(s: State, n: NetRuntime): Promise<void> {
  await s.records.batch(
    [
      { key: keys.network(n.info.id), value: networkRecord(n) },
      { key: countKey(n.info.id), value: { count: 0 } },
    ],
    'global',
  )
}

const ATTEMPTS = 50

/** A short random pause before a compare-and-swap is tried again on fresh values. */
function pause(attempt: number): Promise<void> {
  const ms = Math.random() * Math.min(50, 2 ** attempt)
  return new Promise((resolve) => setTimeout(resolve, ms))
}

function isStale(err: unknown): boolean {
  return ConflictError.isInstance(err) && err.code === 'record-changed'
}

function gone(n: NetRuntime): NotFoundError {
  return new NotFoundError('network-not-found', `network ${n.info.name} is being removed`, {
    details: { kind: 'network', id: n.info.id },
  })
}

/** The endpoints of a shared network on every host, as the global store counts them. */
export async function endpointCount(s: State, networkId: string): Promise<number> {
  const c = (await s.records.get(countKey(networkId), 'global')) as { count?: number } | undefined
  return c?.count ?? 0
}

/** Key of a shared network's endpoint as every host lists it (global store). */
export const serviceKey = (networkId: string, endpointId: string): string =>
  `service/${networkId}/${endpointId}`

/**
 * Count endpoint `ep` in (`delta` 1) or out (-1) of a shared network: the count changes with
 * compare-and-swap (retried on fresh values while other hosts change it) in one batch with the
 * endpoint's cluster-wide record (written or deleted), which every host lists. Adding to a
 * network that is being removed: NotFoundError. A store that cannot be reached: its
 * UnavailableError, nothing changed.
 */
export async function adjustEndpointCount(
  s: State,
  n: NetRuntime,
  delta: 1 | -1,
  ep: EndpointInfo,
): Promise<void> {
  const key = countKey(n.info.id)
  for (let attempt = 0; ; attempt++) {
    try {
      const c = (await s.records.get(key, 'global')) as { count?: number } | undefined
      if (!c) {
        if (delta < 0) {
          await s.records.delete(serviceKey(n.info.id, ep.id), 'global')
          return
        }
        // A record of a network from before counts were kept: the count starts now, unless
        // the network is being removed.
        const rec = (await s.records.get(keys.network(n.info.id), 'global')) as
          Record<string, unknown> | undefined
        if (!rec || rec[DELETING] === true) throw gone(n)
      }
      const count = Math.max(0, (c?.count ?? 0) + delta)
      await s.records.batch(
        [
          { key, value: { count } },
          { key: serviceKey(n.info.id, ep.id), value: delta > 0 ? toRecord(ep) : undefined },
        ],
        'global',
      )
      return
    } catch (err) {
      if (!isStale(err) || attempt >= ATTEMPTS) throw err
      await pause(attempt)
    }
  }
}

/**
 * Mark a shared network as being removed, on the condition that no host has an endpoint on it:
 * its count record is deleted and its record marked in one batch, each at the version read.
 * Endpoints on other hosts: ConflictError `network-has-endpoints` naming the network.
 */
export async function markSharedDeleting(s: State, n: NetRuntime): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      const rec = (await s.records.get(keys.network(n.info.id), 'global')) as
        Record<string, unknown> | undefined
      if (!rec || rec[DELETING] === true) throw gone(n)
      const c = (await s.records.get(countKey(n.info.id), 'global')) as
        { count?: number } | undefined
      const count = c?.count ?? 0
      if (count > 0) {
        throw new ConflictError(
          'network-has-endpoints',
          `network ${n.info.name} has ${count} endpoint(s) on other hosts`,
          { details: { kind: 'network', id: n.info.id, name: n.info.name, endpoints: count } },
        )
      }
      await s.records.batch(
        [
          ...(c ? [{ key: countKey(n.info.id), value: undefined }] : []),
          { key: keys.network(n.info.id), value: { ...networkRecord(n), [DELETING]: true } },
        ],
        'global',
      )
      return
    } catch (err) {
      if (!isStale(err) || attempt >= ATTEMPTS) throw err
      await pause(attempt)
    }
  }
}

/**
 * The endpoints of shared network `networkId` (every one if absent) on every host, as their
 * records in the global store say (state at their creation: joins are each host's own).
 */
export async function clusterEndpoints(s: State, networkId?: string): Promise<EndpointInfo[]> {
  const prefix = networkId ? `service/${networkId}/` : 'service/'
  const list = await s.records.list(prefix, 'global')
  return list.map(({ value }) => endpointFromRecord(value as Record<string, unknown>))
}
