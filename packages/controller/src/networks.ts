import { randomBytes } from 'node:crypto'
import { InterfaceAddress } from '@libnetwork/types'
import type { Driver, IpamData, OperationOptions } from '@libnetwork/driverapi'
import { DEFAULT_IPAM, NULL_IPAM, type IpamDriver } from '@libnetwork/ipam'
import {
  InUseError,
  InvalidConfigError,
  NameConflictError,
  ObjectNotFoundError,
  OverlapError,
} from './errors.js'
import {
  type CreateNetworkOptions,
  type IpamConfig,
  type NetworkInfo,
  type NetworkSubnet,
} from './model.js'
import {
  isShared,
  markSharedDeleting,
  networkRecord,
  saveSharedNetwork,
  type StoredPools,
} from './shared.js'
import { keys, save, snapshot, type NetRuntime, type PoolRef, type State } from './state.js'
import { Undo } from './undo.js'

const ID_RE = /^[0-9a-f]{64}$/
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/

export function newId(): string {
  return randomBytes(32).toString('hex')
}

export function checkId(id: string | undefined, field: string): string {
  if (id === undefined) return newId()
  if (!ID_RE.test(id))
    throw new InvalidConfigError(field, 'must be 64 lowercase hex characters', { id })
  return id
}

export function checkName(name: unknown, field: string): string {
  if (typeof name !== 'string' || !NAME_RE.test(name) || name.length > 128) {
    throw new InvalidConfigError(field, `invalid name ${JSON.stringify(name)}`)
  }
  return name
}

/** Look a network up by id, unique id prefix or name. */
export function findNetwork(s: State, ref: string): NetRuntime {
  const byId = s.networks.get(ref)
  if (byId) return byId
  for (const n of s.networks.values()) if (n.info.name === ref) return n
  const prefixed = [...s.networks.values()].filter((n) => n.info.id.startsWith(ref))
  if (ref.length >= 6 && prefixed.length === 1) return prefixed[0]!
  throw new ObjectNotFoundError('network', ref)
}

/** The IPAM address space of a network of `scope` (the IPAM names its local and global ones). */
async function addressSpace(ipam: IpamDriver, scope: NetworkInfo['scope']): Promise<string> {
  return (await ipam.getDefaultAddressSpaces())[scope]
}

function checkConfig(c: IpamConfig, v6: boolean): void {
  const fam = v6 ? 6 : 4
  if (c.subnet && c.subnet.version !== fam)
    throw new InvalidConfigError('ipam.config.subnet', `not an IPv${fam} subnet`)
  if (c.ipRange && (!c.subnet || !c.subnet.containsNet(c.ipRange))) {
    throw new InvalidConfigError('ipam.config.ipRange', 'must lie inside the subnet')
  }
  if (c.gateway && (!c.subnet || !c.subnet.contains(c.gateway))) {
    throw new InvalidConfigError('ipam.config.gateway', 'must lie inside the subnet')
  }
  for (const [k, ip] of Object.entries(c.auxAddresses ?? {})) {
    if (!c.subnet || !c.subnet.contains(ip)) {
      throw new InvalidConfigError('ipam.config.auxAddresses', `${k} must lie inside the subnet`)
    }
  }
}

/** Reserve pools and gateways of one family; undo registers releases. */
async function reserve(
  ipam: IpamDriver,
  space: string,
  cfgs: IpamConfig[],
  v6: boolean,
  options: Record<string, string>,
  undo: Undo,
  signal: AbortSignal | undefined,
) {
  const refs: PoolRef[] = []
  const subnets: NetworkSubnet[] = []
  for (const c of cfgs) {
    const { poolId, pool } = await ipam.requestPool({
      addressSpace: space,
      pool: c.subnet,
      subPool: c.ipRange,
      v6,
      options,
      signal,
    })
    undo.push(() => ipam.releasePool(poolId))
    const gateway = await ipam.requestAddress(poolId, { preferred: c.gateway, signal })
    if (gateway) undo.push(() => ipam.releaseAddress(poolId, gateway.ip))
    for (const ip of Object.values(c.auxAddresses ?? {})) {
      await ipam.requestAddress(poolId, { preferred: ip, signal })
      undo.push(() => ipam.releaseAddress(poolId, ip))
    }
    refs.push({ poolId, gateway })
    subnets.push({
      subnet: pool,
      gateway: gateway?.ip,
      ipRange: c.ipRange,
      auxAddresses: c.auxAddresses ?? {},
    })
  }
  return { refs, subnets }
}

export function ipamData(n: NetRuntime, v6: boolean): IpamData[] {
  const subs = v6 ? n.info.ipv6 : n.info.ipv4
  const refs = v6 ? n.v6 : n.v4
  return subs.map((sub, i) => ({
    pool: sub.subnet,
    gateway: refs[i]?.gateway,
    auxAddresses: sub.auxAddresses,
  }))
}

export async function createNetwork(
  s: State,
  o: CreateNetworkOptions,
  opts: OperationOptions = {},
): Promise<NetworkInfo> {
  const name = checkName(o.name, 'name')
  const id = checkId(o.id, 'id')
  if (typeof o.driver !== 'string' || o.driver === '')
    throw new InvalidConfigError('driver', 'must name a driver')
  for (const n of s.networks.values()) {
    if (n.info.name === name) throw new NameConflictError('network', name)
    if (n.info.id === id) throw new NameConflictError('network', id)
  }
  const driver = await s.drivers.get(o.driver, opts)
  const { dataScope: scope, needsIpam } = driver.capability
  const ipamDriver = o.ipam?.driver ?? (needsIpam ? DEFAULT_IPAM : NULL_IPAM)
  const ipam = ipamDriver === NULL_IPAM ? undefined : await s.ipams.get(ipamDriver, opts)
  const cfg = o.ipam?.config ?? []
  const v4cfg = cfg.filter((c) => !c.subnet || c.subnet.version === 4)
  const v6cfg = cfg.filter((c) => c.subnet?.version === 6)
  v4cfg.forEach((c) => checkConfig(c, false))
  v6cfg.forEach((c) => checkConfig(c, true))
  if (v6cfg.length > 0 && !o.enableIPv6) {
    throw new InvalidConfigError('enableIPv6', 'IPv6 subnets given but IPv6 is not enabled')
  }
  for (const c of cfg) {
    if (!c.subnet) continue
    for (const n of s.networks.values()) {
      for (const sub of [...n.info.ipv4, ...n.info.ipv6]) {
        if (sub.subnet.overlaps(c.subnet))
          throw new OverlapError(c.subnet.toString(), n.info.name, sub.subnet.toString())
      }
    }
  }
  const parsed = driver.parseNetworkOptions(o.options ?? {})
  // A deleted network may still hold the id, a pool, or (given the same driver options, such
  // as a bridge name) a device: finish those deletions first, and only those.
  const explicit = cfg.flatMap((c) => (c.subnet ? [c.subnet] : []))
  const custom = Object.keys(o.options ?? {}).length > 0
  await s.teardowns.finishNetworks(
    s.teardowns.networks
      .filter(
        (p) =>
          p.id === id ||
          (custom && p.driver === o.driver) ||
          explicit.some((a) => p.subnets.some((b) => a.overlaps(b))),
      )
      .map((p) => p.id),
  )
  const undo = new Undo()
  const signal = opts.signal
  try {
    let v4: { refs: PoolRef[]; subnets: NetworkSubnet[] } = { refs: [], subnets: [] }
    let v6: { refs: PoolRef[]; subnets: NetworkSubnet[] } = { refs: [], subnets: [] }
    if (ipam) {
      const space = await addressSpace(ipam, scope)
      const po = o.ipam?.options ?? {}
      v4 = await reserve(ipam, space, v4cfg.length > 0 ? v4cfg : [{}], false, po, undo, signal)
      // Without an IPv6 subnet, one pool from the IPAM's IPv6 defaults, as IPv4 does (upstream).
      if (o.enableIPv6)
        v6 = await reserve(ipam, space, v6cfg.length > 0 ? v6cfg : [{}], true, po, undo, signal)
    }
    const info: NetworkInfo = {
      id,
      name,
      driver: o.driver,
      scope,
      ipamDriver,
      ipv4: v4.subnets,
      ipv6: v6.subnets,
      enableIPv6: o.enableIPv6 ?? false,
      internal: o.internal ?? false,
      attachable: o.attachable ?? false,
      labels: { ...(o.labels ?? {}) },
      options: o.options ?? {},
      created: new Date().toISOString(),
    }
    const rt: NetRuntime = { info, driver, ipam, parsed, v4: v4.refs, v6: v6.refs }
    // A global driver reserves its cluster-wide resources (a VNI, say) once, here; every host
    // gets them back in createNetwork and restore.
    if (scope === 'global' && driver.allocateNetwork) {
      const data = await driver.allocateNetwork(
        { networkId: id, options: parsed, ipv4: ipamData(rt, false), ipv6: ipamData(rt, true) },
        opts,
      )
      info.driverData = { ...data }
      undo.push(() => driver.freeNetwork?.({ networkId: id, driverData: data }))
    }
    await driver.createNetwork(createRequest(rt), opts)
    undo.push(() => driver.deleteNetwork({ networkId: id }))
    // A shared network's record comes with its endpoint count, both new: an id another host
    // took meanwhile fails here.
    if (isShared(s, info)) await saveSharedNetwork(s, rt)
    else await save.network(s, rt)
    s.networks.set(id, rt)
    const out = snapshot(info)
    s.emitter.emit('network:create', out)
    return out
  } catch (err) {
    await undo.run()
    throw err
  }
}

/**
 * Delete a network: the checks, then its record is marked as being deleted (a restart redoes
 * the deletion), it leaves the maps (its name, id and, once the rest is done, its subnets are
 * free) and the event goes out. The rest runs in the background (`finishNetworkDelete`).
 * The caller holds the operations' lock only: nothing here touches a driver, IPAM or kernel.
 */
export async function deleteNetwork(s: State, ref: string): Promise<void> {
  const n = findNetwork(s, ref)
  const eps = [...s.endpoints.values()].filter((e) => e.networkId === n.info.id)
  if (eps.length > 0) {
    throw new InUseError('network', n.info.name, `has ${eps.length} active endpoint(s)`, {
      endpoints: eps.map((e) => e.name),
    })
  }
  // A shared network: only if no other host has endpoints on it either.
  if (isShared(s, n.info)) await markSharedDeleting(s, n)
  else {
    const record = { ...networkRecord(n), [DELETING]: true }
    await s.records.put(keys.network(n.info.id), record, n.info.scope)
  }
  s.networks.delete(n.info.id)
  s.teardowns.addNetwork(n.info.id, () => finishNetworkDelete(s, n), {
    driver: n.info.driver,
    subnets: [...n.info.ipv4, ...n.info.ipv6].map((x) => x.subnet),
  })
  s.emitter.emit('network:delete', snapshot(n.info))
}

/** Field of a network record whose deletion was answered but may not be finished. */
export const DELETING = 'deleting'

/**
 * The background part of a network deletion (under the lock): the pending leave tails of its
 * endpoints, the driver's deleteNetwork, the pools, the record. A step that fails leaves the
 * record marked, so the next start finishes the deletion.
 */
export async function finishNetworkDelete(s: State, n: NetRuntime): Promise<void> {
  await s.teardowns.finishAll(n.info.id)
  await n.driver.deleteNetwork({ networkId: n.info.id })
  if (n.info.driverData)
    await n.driver.freeNetwork?.({ networkId: n.info.id, driverData: n.info.driverData })
  await releaseNetworkPools(n)
  await s.records.delete(keys.network(n.info.id), n.info.scope)
}

/** What the driver's createNetwork (and restore) gets for a network. */
export function createRequest(n: NetRuntime): Parameters<Driver['createNetwork']>[0] {
  return {
    networkId: n.info.id,
    name: n.info.name,
    options: n.parsed,
    ipv4: ipamData(n, false),
    ipv6: ipamData(n, true),
    enableIPv6: n.info.enableIPv6,
    internal: n.info.internal,
    labels: n.info.labels,
    ...(n.info.driverData ? { driverData: { ...n.info.driverData } } : {}),
  }
}

export async function releaseNetworkPools(n: NetRuntime): Promise<void> {
  const ipam = n.ipam
  if (!ipam) return
  for (const [refs, subs] of [
    [n.v4, n.info.ipv4],
    [n.v6, n.info.ipv6],
  ] as const) {
    for (const [i, ref] of refs.entries()) {
      if (ref.gateway) await ipam.releaseAddress(ref.poolId, ref.gateway.ip)
      for (const ip of Object.values(subs[i]?.auxAddresses ?? {}))
        await ipam.releaseAddress(ref.poolId, ip)
      await ipam.releasePool(ref.poolId)
    }
  }
}

/**
 * Re-reserve a stored network's pools, gateway and aux addresses in IPAM after a restart; the
 * driver and IPAM the record names are resolved (built on first use). A shared network with
 * `pools` (the ids its record carries) reserves nothing: its pools, gateway and addresses are
 * in the cluster's IPAM already, reserved once by the host that created it.
 */
export async function restoreNetworkPools(
  s: State,
  info: NetworkInfo,
  pools?: StoredPools,
): Promise<NetRuntime> {
  const driver = await s.drivers.get(info.driver)
  const ipam = info.ipamDriver === NULL_IPAM ? undefined : await s.ipams.get(info.ipamDriver)
  const parsed = driver.parseNetworkOptions(info.options)
  const rt: NetRuntime = { info, driver, ipam, parsed, v4: [], v6: [] }
  if (!ipam) return rt
  if (pools && isShared(s, info)) {
    const refs = (subs: NetworkSubnet[], ids: string[]): PoolRef[] =>
      subs.map((sub, i) => ({
        poolId: ids[i] ?? '',
        gateway: sub.gateway ? InterfaceAddress.of(sub.gateway, sub.subnet.prefix) : undefined,
      }))
    rt.v4 = refs(info.ipv4, pools.v4)
    rt.v6 = refs(info.ipv6, pools.v6)
    return rt
  }
  const space = await addressSpace(ipam, info.scope)
  for (const v6 of [false, true]) {
    for (const sub of v6 ? info.ipv6 : info.ipv4) {
      const { poolId } = await ipam.requestPool({
        addressSpace: space,
        pool: sub.subnet,
        subPool: sub.ipRange,
        v6,
      })
      const gateway = sub.gateway
        ? await ipam.requestAddress(poolId, { preferred: sub.gateway })
        : undefined
      for (const ip of Object.values(sub.auxAddresses))
        await ipam.requestAddress(poolId, { preferred: ip })
      ;(v6 ? rt.v6 : rt.v4).push({ poolId, gateway })
    }
  }
  return rt
}
