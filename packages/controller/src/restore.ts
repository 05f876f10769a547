import type { RestoreReport } from '@libnetwork/driverapi'
import { NotFoundError } from '@libnetwork/types'
import { restoreEndpointAddresses } from './endpoints.js'
import { createRequest, DELETING, finishNetworkDelete, restoreNetworkPools } from './networks.js'
import { endpointFromRecord, networkFromRecord, sandboxFromRecord, toRecord } from './model.js'
import { reconcileGateways, restoreJoined } from './sandboxes.js'
import { storedPools } from './shared.js'
import { keys, save, type NetRuntime, type State } from './state.js'

/** What a restart found and repaired. */
export interface RestoreSummary {
  networks: number
  endpoints: number
  sandboxes: number
  /** Stale things removed or records repaired by the controller. */
  repaired: string[]
  /** Per driver, what it removed and re-created in the kernel. */
  drivers: Record<string, RestoreReport>
}

/**
 * Load the records and reconcile the kernel with them (the controller's start): networks
 * (their drivers and IPAMs resolved, pools re-reserved), endpoints (addresses re-reserved),
 * sandboxes (namespaces checked), joined state (interfaces checked, strays removed), then each
 * driver's restore, unfinished network deletions, and service discovery.
 */
export async function restoreAll(s: State): Promise<RestoreSummary> {
  const repaired: string[] = []
  // Networks whose deletion was answered but not finished: the drivers get them back (so
  // they know what to delete), then the deletion is redone.
  const deleting: NetRuntime[] = []
  const networkRecords = await s.records.list('network/')
  if (s.records.hasGlobal) networkRecords.push(...(await s.records.list('network/', 'global')))
  for (const { value } of networkRecords) {
    const info = networkFromRecord(value as Record<string, unknown>)
    let rt: NetRuntime
    try {
      // The driver and IPAM the record names are resolved (a plugin is found on first use).
      rt = await restoreNetworkPools(s, info, storedPools(value as Record<string, unknown>))
    } catch (err) {
      if (!NotFoundError.isInstance(err)) throw err
      repaired.push(`network ${info.name}: ${err.message}, not loaded`)
      continue
    }
    if ((value as Record<string, unknown>)[DELETING] === true) deleting.push(rt)
    else s.networks.set(info.id, rt)
  }
  for (const { value } of await s.records.list('endpoint/')) {
    const ep = endpointFromRecord(value as Record<string, unknown>)
    if (!s.networks.has(ep.networkId)) {
      repaired.push(`endpoint ${ep.name}: network gone, record removed`)
      await s.records.delete(keys.endpoint(ep.id))
      continue
    }
    await restoreEndpointAddresses(s, ep)
    s.endpoints.set(ep.id, ep)
  }
  const live = new Set(await s.os.list(s.namespacePrefix))
  const stored = new Map<string, string>()
  for (const { value } of await s.records.list('sandbox/')) {
    const sb = sandboxFromRecord(value as Record<string, unknown>)
    // A key outside the prefix (made under an earlier prefix) is looked up by itself.
    if (sb.key && !live.has(sb.key) && !(await s.os.list(sb.key)).includes(sb.key)) {
      repaired.push(`sandbox ${sb.containerId}: namespace gone, removed`)
      await s.records.delete(keys.sandbox(sb.id))
      continue
    }
    stored.set(sb.id, JSON.stringify(value))
    if (sb.key) live.delete(sb.key)
    s.sandboxes.set(sb.id, sb)
  }
  for (const key of live) {
    repaired.push(`namespace ${key}: no sandbox record, removed`)
    await s.os.destroy(key)
  }
  // Joined state: an endpoint is joined when its record says so, its sandbox exists and the
  // interface is in the sandbox (or the sandbox uses the host network).
  const deletions: Promise<void>[] = []
  for (const sb of s.sandboxes.values()) {
    const ifaces = sb.key ? new Set(await s.os.interfaces(sb.key)) : new Set<string>()
    const members = [...s.endpoints.values()].filter((e) => e.sandboxId === sb.id)
    const ok = members.filter((e) => !sb.key || (e.ifName !== undefined && ifaces.has(e.ifName)))
    const okIds = new Set(ok.map((e) => e.id))
    for (const e of members) if (!okIds.has(e.id)) e.sandboxId = undefined
    const order = [
      ...sb.endpoints.filter((id) => okIds.has(id)),
      ...ok.map((e) => e.id).filter((id) => !sb.endpoints.includes(id)),
    ]
    if (order.join() !== sb.endpoints.join())
      repaired.push(`sandbox ${sb.containerId}: endpoint list repaired`)
    sb.endpoints = order
    for (const name of ifaces) {
      if (!ok.some((e) => e.ifName === name)) {
        repaired.push(`sandbox ${sb.containerId}: stray interface ${name} removed`)
        deletions.push((await s.os.removeInterface(sb.key!, name)).deleted)
      }
    }
    if (sb.gatewayEndpoint && !okIds.has(sb.gatewayEndpoint)) sb.gatewayEndpoint = undefined
    order.forEach((eid, i) => restoreJoined(s, sb, s.endpoints.get(eid)!, i))
    // Written only when repaired: another controller on the store keeps its versions valid.
    if (JSON.stringify(toRecord(sb)) !== stored.get(sb.id)) await save.sandbox(s, sb)
  }
  for (const e of s.endpoints.values()) {
    if (e.sandboxId && !s.sandboxes.has(e.sandboxId)) e.sandboxId = undefined
    if (!e.sandboxId && (e.ifName || e.boundPorts.length > 0 || e.gatewayRole)) {
      repaired.push(`endpoint ${e.name}: half-joined state cleared`)
      e.ifName = undefined
      e.boundPorts = []
      e.gatewayRole = undefined
      await save.endpoint(s, e)
    }
  }
  // The kernel has deleted the strays before the drivers look at their links.
  for (const r of await Promise.allSettled(deletions))
    if (r.status === 'rejected') repaired.push(`stray interface not deleted: ${String(r.reason)}`)
  const drivers: Record<string, RestoreReport> = {}
  for (const [type, driver] of s.drivers.entries()) {
    const nets = [...s.networks.values(), ...deleting].filter((n) => n.info.driver === type)
    const ids = new Set(nets.map((n) => n.info.id))
    drivers[type] = await driver.restore({
      networks: nets.map(createRequest),
      endpoints: [...s.endpoints.values()]
        .filter((e) => ids.has(e.networkId))
        .map((e) => ({
          networkId: e.networkId,
          endpointId: e.id,
          iface: { address: e.address, addressIPv6: e.addressIPv6, mac: e.mac },
          options: { exposedPorts: e.exposedPorts, portBindings: e.portBindings },
          sandboxKey: e.sandboxId ? s.sandboxes.get(e.sandboxId)!.path : undefined,
          boundPorts: e.boundPorts,
        })),
    })
  }
  for (const n of deleting) {
    try {
      await finishNetworkDelete(s, n)
      repaired.push(`network ${n.info.name}: deletion finished`)
    } catch (err) {
      repaired.push(`network ${n.info.name}: deletion failed again: ${String(err)}`)
    }
  }
  // Files of sandboxes that are gone (a kill between the namespace and the files' removal).
  for (const id of (await s.discovery.prune?.(new Set(s.sandboxes.keys()))) ?? [])
    repaired.push(`sandbox ${id}: files removed`)
  for (const sb of s.sandboxes.values()) {
    Object.assign(sb, await s.discovery.sandboxCreated(sb))
    for (const eid of sb.endpoints) {
      const ep = s.endpoints.get(eid)!
      await s.discovery.joined(sb, ep, s.networks.get(ep.networkId)!.info)
    }
  }
  // Gateway endpoints a kill left out of step with the sandboxes' other endpoints: the drivers
  // and service discovery have their state back, so they are joined and left as usual.
  repaired.push(...(await reconcileGateways(s)))
  return {
    networks: s.networks.size,
    endpoints: s.endpoints.size,
    sandboxes: s.sandboxes.size,
    repaired,
    drivers,
  }
}
