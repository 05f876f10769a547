import { checkPortBinding, type OperationOptions } from '@libnetwork/driverapi'
import type { InterfaceAddress } from '@libnetwork/types'
import { InUseError, InvalidConfigError, NameConflictError, ObjectNotFoundError } from './errors.js'
import type { CreateEndpointOptions, EndpointInfo } from './model.js'
import { checkId, checkName, findNetwork } from './networks.js'
import { adjustEndpointCount, isShared } from './shared.js'
import { keys, save, snapshot, type NetRuntime, type State } from './state.js'
import { Undo } from './undo.js'

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/

export function findEndpoint(s: State, ref: string): EndpointInfo {
  const e = s.endpoints.get(ref)
  if (e) return e
  const prefixed = [...s.endpoints.values()].filter((x) => x.id.startsWith(ref))
  if (ref.length >= 6 && prefixed.length === 1) return prefixed[0]!
  throw new ObjectNotFoundError('endpoint', ref)
}

/** An endpoint of network `networkId` by id, name or unique id prefix (≥ 6 characters). */
export function findEndpointOf(s: State, networkId: string, ref: string): EndpointInfo {
  const prefixed: EndpointInfo[] = []
  for (const e of s.endpoints.values()) {
    if (e.networkId !== networkId) continue
    if (e.id === ref || e.name === ref) return e
    if (ref.length >= 6 && e.id.startsWith(ref)) prefixed.push(e)
  }
  if (prefixed.length === 1) return prefixed[0]!
  throw new ObjectNotFoundError('endpoint', ref)
}

async function allocate(
  n: NetRuntime,
  v6: boolean,
  preferred: CreateEndpointOptions['ipv4Address'],
  undo: Undo,
  signal: AbortSignal | undefined,
): Promise<InterfaceAddress | undefined> {
  const refs = v6 ? n.v6 : n.v4
  const ipam = n.ipam
  if (!ipam || refs.length === 0) {
    if (preferred)
      throw new InvalidConfigError(v6 ? 'ipv6Address' : 'ipv4Address', 'network has no IPAM pools')
    return undefined
  }
  let lastErr: unknown
  for (const [i, ref] of refs.entries()) {
    const sub = (v6 ? n.info.ipv6 : n.info.ipv4)[i]!
    if (preferred && !sub.subnet.contains(preferred)) continue
    try {
      const a = await ipam.requestAddress(ref.poolId, { preferred, signal })
      if (a) undo.push(() => ipam.releaseAddress(ref.poolId, a.ip))
      return a
    } catch (err) {
      lastErr = err
    }
  }
  if (preferred && lastErr === undefined) {
    throw new InvalidConfigError(
      v6 ? 'ipv6Address' : 'ipv4Address',
      `${preferred.toString()} is not in any subnet of network ${n.info.name}`,
    )
  }
  throw lastErr
}

export async function createEndpoint(
  s: State,
  netRef: string,
  o: CreateEndpointOptions,
  opts: OperationOptions = {},
): Promise<EndpointInfo> {
  const n = findNetwork(s, netRef)
  const name = checkName(o.name, 'name')
  const id = checkId(o.id, 'id')
  if (o.mac !== undefined && !MAC_RE.test(o.mac))
    throw new InvalidConfigError('mac', `invalid MAC ${o.mac}`)
  for (const b of o.portBindings ?? []) checkPortBinding(b)
  for (const a of o.aliases ?? []) checkName(a, 'aliases')
  for (const e of s.endpoints.values()) {
    if (e.id === id) throw new NameConflictError('endpoint', id)
    if (e.networkId === n.info.id && e.name === name)
      throw new NameConflictError('endpoint', name, `network ${n.info.name}`)
  }
  const driver = n.driver
  const undo = new Undo()
  try {
    const address = await allocate(n, false, o.ipv4Address, undo, opts.signal)
    const addressIPv6 = n.info.enableIPv6
      ? await allocate(n, true, o.ipv6Address, undo, opts.signal)
      : undefined
    const options = { exposedPorts: o.exposedPorts ?? [], portBindings: o.portBindings ?? [] }
    const { iface } = await driver.createEndpoint(
      {
        networkId: n.info.id,
        endpointId: id,
        iface: { address, addressIPv6, mac: o.mac },
        options,
      },
      opts,
    )
    undo.push(() => driver.deleteEndpoint({ networkId: n.info.id, endpointId: id }))
    const ep: EndpointInfo = {
      id,
      name,
      networkId: n.info.id,
      aliases: [...(o.aliases ?? [])],
      address: iface.address ?? address,
      addressIPv6: iface.addressIPv6 ?? addressIPv6,
      mac: iface.mac ?? o.mac,
      exposedPorts: options.exposedPorts,
      portBindings: options.portBindings,
      boundPorts: [],
    }
    // A shared network counts the endpoint last (a network being removed by another host
    // refuses it here): a store that fails before leaves no count to take back.
    if (isShared(s, n.info)) {
      await adjustEndpointCount(s, n, 1, ep)
      undo.push(() => adjustEndpointCount(s, n, -1, ep))
    }
    await save.endpoint(s, ep)
    s.endpoints.set(id, ep)
    const out = snapshot(ep)
    s.emitter.emit('endpoint:create', out)
    return out
  } catch (err) {
    await undo.run()
    throw err
  }
}

async function releaseAddresses(n: NetRuntime, ep: EndpointInfo): Promise<void> {
  const ipam = n.ipam
  if (!ipam) return
  for (const [a, v6] of [
    [ep.address, false],
    [ep.addressIPv6, true],
  ] as const) {
    if (!a) continue
    const subs = v6 ? n.info.ipv6 : n.info.ipv4
    const i = subs.findIndex((sub) => sub.subnet.contains(a.ip))
    const ref = (v6 ? n.v6 : n.v4)[i]
    if (ref) await ipam.releaseAddress(ref.poolId, a.ip)
  }
}

export async function deleteEndpoint(
  s: State,
  ref: string,
  opts: OperationOptions = {},
): Promise<void> {
  const ep = findEndpoint(s, ref)
  if (ep.sandboxId) {
    throw new InUseError('endpoint', ep.name, `is joined to sandbox ${ep.sandboxId}`, {
      sandboxId: ep.sandboxId,
    })
  }
  const n = s.networks.get(ep.networkId)!
  const driver = n.driver
  const epRef = { networkId: n.info.id, endpointId: ep.id }
  // A shared network's count first (the store may be unreachable: nothing is changed then).
  const shared = isShared(s, n.info)
  if (shared) await adjustEndpointCount(s, n, -1, ep)
  const recount = () =>
    shared ? adjustEndpointCount(s, n, 1, ep).catch(() => undefined) : undefined
  // The record goes first: a concurrent writer's change stops the delete before the driver
  // (and a driver failure puts the record back).
  try {
    await s.records.delete(keys.endpoint(ep.id))
  } catch (err) {
    await recount()
    throw err
  }
  // Just left: the driver forgets the endpoint after its leave, once the kernel is done.
  if (s.teardowns.has(ep.id)) s.teardowns.then(ep.id, () => driver.deleteEndpoint(epRef))
  else {
    try {
      await driver.deleteEndpoint(epRef, opts)
    } catch (err) {
      await save.endpoint(s, ep).catch(() => undefined)
      await recount()
      throw err
    }
  }
  s.endpoints.delete(ep.id)
  await releaseAddresses(n, ep)
  if (s.emitter.has('endpoint:delete')) s.emitter.emit('endpoint:delete', snapshot(ep))
}

/** Re-reserve a stored endpoint's addresses after a restart. */
export async function restoreEndpointAddresses(s: State, ep: EndpointInfo): Promise<void> {
  const n = s.networks.get(ep.networkId)
  const ipam = n?.ipam
  // A shared network's addresses stay reserved in the cluster's IPAM across restarts.
  if (!n || !ipam || isShared(s, n.info)) return
  for (const [a, v6] of [
    [ep.address, false],
    [ep.addressIPv6, true],
  ] as const) {
    if (!a) continue
    const subs = v6 ? n.info.ipv6 : n.info.ipv4
    const i = subs.findIndex((sub) => sub.subnet.contains(a.ip))
    const ref = (v6 ? n.v6 : n.v4)[i]
    if (ref) await ipam.requestAddress(ref.poolId, { preferred: a.ip })
  }
}
