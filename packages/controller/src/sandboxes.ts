import type { OperationOptions } from '@libnetwork/driverapi'
import { ForbiddenError, ConflictError } from '@libnetwork/types'
import { InvalidConfigError, NameConflictError, ObjectNotFoundError } from './errors.js'
import { findEndpoint } from './endpoints.js'
import {
  closingSandbox,
  isGatewayEndpoint,
  onGatewayNetwork,
  syncGateway,
  type GatewayHooks,
} from './gateway.js'
import type { CreateSandboxOptions, EndpointInfo, JoinOptions, SandboxInfo } from './model.js'
import { checkId, checkName, newId } from './networks.js'
import { keys, save, snapshot, type State } from './state.js'
import { Undo } from './undo.js'

const HOST_RE = /^[a-zA-Z0-9]([a-zA-Z0-9.-]*[a-zA-Z0-9])?$/

/** Runtime facts of a joined endpoint the sandbox needs for gateway selection. */
interface Joined {
  gwPriority: number
  order: number
  hasGateway: boolean
  /** Reaches out but gives no gateway (overlay): the sandbox joins the gateway network. */
  wantsGateway: boolean
}

const joined = new WeakMap<SandboxInfo, Map<string, Joined>>()

function joinedOf(sb: SandboxInfo): Map<string, Joined> {
  let m = joined.get(sb)
  if (!m) joined.set(sb, (m = new Map<string, Joined>()))
  return m
}

/**
 * The host name of a sandbox created without one: its container name cut to 12 characters (a
 * host-name label's usual length here) without a trailing `-` or `.`. A name that still is not
 * a valid host name (`my_db`) gets what docker always gives: the first 12 characters of the
 * sandbox id.
 */
export function implicitHostname(containerId: string, id: string): string {
  const cut = containerId.slice(0, 12).replace(/[-.]+$/, '')
  return HOST_RE.test(cut) ? cut : id.slice(0, 12)
}

export function findSandbox(s: State, ref: string): SandboxInfo {
  const sb = s.sandboxes.get(ref)
  if (sb) return sb
  for (const x of s.sandboxes.values()) if (x.containerId === ref) return x
  throw new ObjectNotFoundError('sandbox', ref)
}

export async function createSandbox(s: State, o: CreateSandboxOptions): Promise<SandboxInfo> {
  if (typeof o.containerId !== 'string' || o.containerId.length === 0) {
    throw new InvalidConfigError('containerId', 'must be a non-empty string')
  }
  const id = checkId(o.id ?? newId(), 'id')
  if (o.hostname !== undefined && !HOST_RE.test(o.hostname))
    throw new InvalidConfigError('hostname', `invalid hostname ${o.hostname}`)
  for (const x of s.sandboxes.values()) {
    if (x.containerId === o.containerId) throw new NameConflictError('sandbox', o.containerId)
    if (x.id === id) throw new NameConflictError('sandbox', id)
  }
  const useHostNetwork = o.useHostNetwork ?? false
  const key = useHostNetwork ? undefined : `${s.namespacePrefix}${id.slice(0, 12)}`
  const undo = new Undo()
  try {
    const path = key ? await s.os.create(key) : ''
    if (key) undo.push(() => s.os.destroy(key))
    const sb: SandboxInfo = {
      id,
      containerId: o.containerId,
      key,
      path,
      hostname: o.hostname ?? implicitHostname(o.containerId, id),
      domainname: o.domainname ?? '',
      extraHosts: [...(o.extraHosts ?? [])],
      dns: { servers: o.dns?.servers, search: o.dns?.search, options: o.dns?.options },
      useHostNetwork,
      endpoints: [],
    }
    undo.push(() => s.discovery.sandboxDeleted(sb))
    Object.assign(sb, await s.discovery.sandboxCreated(sb))
    await save.sandbox(s, sb)
    s.sandboxes.set(id, sb)
    const out = snapshot(sb)
    s.emitter.emit('sandbox:create', out)
    return out
  } catch (err) {
    await undo.run()
    throw err
  }
}

export async function deleteSandbox(s: State, ref: string): Promise<void> {
  const sb = findSandbox(s, ref)
  await closingSandbox(s, sb, async () => {
    for (const eid of [...sb.endpoints].reverse()) await leave(s, eid, sb.id)
  })
  // The record first: a concurrent writer's change stops the delete before the kernel.
  await s.records.delete(keys.sandbox(sb.id))
  if (sb.key) await s.os.destroy(sb.key)
  s.sandboxes.delete(sb.id)
  await s.discovery.sandboxDeleted(sb)
  if (s.emitter.has('sandbox:delete')) s.emitter.emit('sandbox:delete', snapshot(sb))
}

function pickGateway(sb: SandboxInfo): string | undefined {
  let best: [string, Joined] | undefined
  for (const [eid, j] of joinedOf(sb)) {
    if (!j.hasGateway) continue
    if (
      !best ||
      j.gwPriority > best[1].gwPriority ||
      (j.gwPriority === best[1].gwPriority && j.order < best[1].order)
    ) {
      best = [eid, j]
    }
  }
  return best?.[0]
}

async function applyGateway(s: State, sb: SandboxInfo, gw: string | undefined): Promise<void> {
  if (gw === sb.gatewayEndpoint || !sb.key) return
  const ep = gw ? s.endpoints.get(gw) : undefined
  const n = ep ? s.networks.get(ep.networkId) : undefined
  await s.os.setGateway(
    sb.key,
    ep && n
      ? {
          dstName: ep.ifName!,
          gateway: n.v4.find(
            (r) => r.gateway && ep.address && r.gateway.network.contains(ep.address.ip),
          )?.gateway?.ip,
          gatewayIPv6: n.v6.find(
            (r) => r.gateway && ep.addressIPv6 && r.gateway.network.contains(ep.addressIPv6.ip),
          )?.gateway?.ip,
        }
      : undefined,
  )
  sb.gatewayEndpoint = gw
}

function nextIfName(s: State, sb: SandboxInfo, prefix: string): string {
  const used = new Set(sb.endpoints.map((e) => s.endpoints.get(e)?.ifName))
  for (let i = 0; ; i++) if (!used.has(`${prefix}${i}`)) return `${prefix}${i}`
}

export async function join(
  s: State,
  epRef: string,
  sbRef: string,
  o: JoinOptions = {},
  opts: OperationOptions = {},
): Promise<void> {
  const ep = findEndpoint(s, epRef)
  const sb = findSandbox(s, sbRef)
  if (ep.sandboxId)
    throw new ConflictError(
      'endpoint-joined',
      `endpoint ${ep.name} is already joined to sandbox ${ep.sandboxId}`,
      { details: { endpointId: ep.id, sandboxId: ep.sandboxId } },
    )
  const n = s.networks.get(ep.networkId)!
  const sharesHost = n.driver.capability.sharesHostNetwork
  if (sb.useHostNetwork !== sharesHost) {
    throw new ForbiddenError(
      'host-network-mismatch',
      `sandbox ${sb.containerId} ${sb.useHostNetwork ? 'uses' : 'does not use'} the host network; network ${n.info.name} (driver ${n.info.driver}) ${sharesHost ? 'shares' : 'does not share'} it`,
      { details: { sandboxId: sb.id, networkId: n.info.id } },
    )
  }
  for (const other of sb.endpoints) {
    if (s.endpoints.get(other)?.networkId === n.info.id)
      throw new ConflictError(
        'already-on-network',
        `sandbox ${sb.containerId} is already on network ${n.info.name}`,
        { details: { sandboxId: sb.id, networkId: n.info.id } },
      )
  }
  const gwPriority = o.gwPriority ?? 0
  if (!Number.isSafeInteger(gwPriority))
    throw new InvalidConfigError('gwPriority', `must be an integer, not ${String(o.gwPriority)}`)
  if (o.aliases !== undefined && !Array.isArray(o.aliases))
    throw new InvalidConfigError('aliases', 'must be a list of names')
  const aliases = [...new Set(o.aliases ?? [])]
  for (const a of aliases) checkName(a, 'aliases')
  const driver = n.driver
  const ref = { networkId: n.info.id, endpointId: ep.id }
  const options = { exposedPorts: ep.exposedPorts, portBindings: ep.portBindings }
  // A re-join waits for the kernel and the driver to finish its last leave.
  await s.teardowns.finish(ep.id)
  const undo = new Undo()
  const prevGw = sb.gatewayEndpoint
  try {
    const res = await driver.join({ ...ref, sandboxKey: sb.path, options }, opts)
    undo.push(() => driver.leave(ref))
    let ifName: string | undefined
    if (sb.key) {
      for (const itf of res.interfaces) {
        const dst = nextIfName(s, sb, itf.dstPrefix)
        await s.os.addInterface(sb.key, {
          srcName: itf.srcName,
          inSandbox: itf.inSandbox,
          dstName: dst,
          address: ep.address,
          addressIPv6: ep.addressIPv6,
          mac: ep.mac,
          routes: res.staticRoutes,
        })
        undo.push(async () => {
          const { deleted } = await s.os.removeInterface(sb.key!, dst)
          await deleted // the driver's leave comes next and must find the pair gone
        })
        ifName ??= dst
      }
    }
    const prevAliases = ep.aliases
    ep.ifName = ifName
    ep.sandboxId = sb.id
    ep.gwPriority = gwPriority
    if (aliases.length > 0) {
      ep.joinAliases = aliases.filter((a) => !prevAliases.includes(a))
      ep.aliases = [...prevAliases, ...ep.joinAliases]
    }
    sb.endpoints.push(ep.id)
    undo.push(() => {
      ep.ifName = undefined
      ep.sandboxId = undefined
      ep.gwPriority = undefined
      ep.aliases = prevAliases
      ep.joinAliases = undefined
      sb.endpoints = sb.endpoints.filter((e) => e !== ep.id)
    })
    // Upstream's needDefaultGW: an endpoint whose driver disables the gateway service, or on an
    // internal network, counts for nothing; one with a gateway gives the way out; any other
    // endpoint with an interface needs one (the overlay's).
    const counts = !res.disableGatewayService && !n.info.internal
    const hasGateway = counts && (res.gateway !== undefined || res.gatewayIPv6 !== undefined)
    const wantsGateway =
      counts && !hasGateway && !sharesHost && res.interfaces.length > 0 && !onGatewayNetwork(s, ep)
    joinedOf(sb).set(ep.id, {
      gwPriority,
      order: Date.now() * 1000 + sb.endpoints.length,
      hasGateway,
      wantsGateway,
    })
    ep.gatewayRole = hasGateway ? 'gives' : wantsGateway ? 'needs' : 'none'
    undo.push(() => {
      joinedOf(sb).delete(ep.id)
      ep.gatewayRole = undefined
    })
    await applyGateway(s, sb, pickGateway(sb))
    undo.push(() => applyGateway(s, sb, prevGw))
    if (!n.info.internal && (ep.portBindings.length > 0 || ep.exposedPorts.length > 0)) {
      ep.boundPorts = await driver.programExternalConnectivity({ ...ref, options }, opts)
      undo.push(async () => {
        await driver.revokeExternalConnectivity(ref)
        ep.boundPorts = []
      })
    }
    await s.discovery.joined(sb, ep, n.info)
    undo.push(() => s.discovery.left(sb, ep, n.info))
    // Both records in one conditional batch: a concurrent writer fails the join, undone.
    await save.joined(s, ep, sb)
    if (s.emitter.has('endpoint:join'))
      s.emitter.emit('endpoint:join', { endpoint: snapshot(ep), sandbox: snapshot(sb) })
  } catch (err) {
    await undo.run()
    throw err
  }
  try {
    await syncGateway(s, sb, gatewayHooks)
  } catch (err) {
    // no way out: the join is undone, as upstream
    await leave(s, ep.id, sb.id).catch(() => undefined)
    throw err
  }
}

export async function leave(
  s: State,
  epRef: string,
  sbRef: string,
  opts: OperationOptions = {},
): Promise<void> {
  const ep = findEndpoint(s, epRef)
  const sb = findSandbox(s, sbRef)
  if (ep.sandboxId !== sb.id)
    throw new ConflictError(
      'endpoint-not-joined',
      `endpoint ${ep.name} is not joined to sandbox ${sb.containerId}`,
      { details: { endpointId: ep.id, sandboxId: sb.id } },
    )
  const n = s.networks.get(ep.networkId)!
  const driver = n.driver
  const ref = { networkId: n.info.id, endpointId: ep.id }
  await s.discovery.left(sb, ep, n.info)
  if (ep.boundPorts.length > 0 || ep.portBindings.length > 0 || ep.exposedPorts.length > 0)
    await driver.revokeExternalConnectivity(ref, opts)
  ep.boundPorts = []
  joinedOf(sb).delete(ep.id)
  if (sb.gatewayEndpoint === ep.id) await applyGateway(s, sb, pickGateway(sb))
  if (sb.key && ep.ifName) {
    // The interface is out of service now; the kernel deletes it (and a veth's host end) in
    // the background, and the driver's leave follows that (see Teardowns).
    const { deleted } = await s.os.removeInterface(sb.key, ep.ifName)
    s.teardowns.add(ep.id, n.info.id, deleted, () => driver.leave(ref))
  } else {
    await driver.leave(ref)
  }
  ep.sandboxId = undefined
  ep.ifName = undefined
  ep.gwPriority = undefined
  ep.gatewayRole = undefined
  if (ep.joinAliases) {
    const drop = new Set(ep.joinAliases)
    ep.aliases = ep.aliases.filter((a) => !drop.has(a))
    ep.joinAliases = undefined
  }
  sb.endpoints = sb.endpoints.filter((e) => e !== ep.id)
  await save.joined(s, ep, sb)
  if (s.emitter.has('endpoint:leave'))
    s.emitter.emit('endpoint:leave', { endpoint: snapshot(ep), sandbox: snapshot(sb) })
  // the left endpoint is gone either way: a gateway endpoint that cannot follow is reported
  await syncGateway(s, sb, gatewayHooks).catch((err: unknown) =>
    s.logger.error('gateway network: cannot follow a leave', {
      sandboxId: sb.id,
      error: err,
    }),
  )
}

const gatewayHooks: GatewayHooks = {
  facts: (sb) => joinedOf(sb),
  join: (s, endpoint, sandbox) => join(s, endpoint, sandbox),
  leave: (s, endpoint, sandbox) => leave(s, endpoint, sandbox),
}

/** Rebuild gateway-selection facts for a restored, joined endpoint. */
export function restoreJoined(s: State, sb: SandboxInfo, ep: EndpointInfo, order: number): void {
  // Records from before gwPriority was kept: the gateway endpoint keeps its place.
  const gwPriority = ep.gwPriority ?? (sb.gatewayEndpoint === ep.id ? 1 : 0)
  if (ep.gatewayRole !== undefined) {
    const role = ep.gatewayRole
    joinedOf(sb).set(ep.id, {
      gwPriority,
      order,
      hasGateway: role === 'gives',
      wantsGateway: role === 'needs',
    })
    return
  }
  // Records from before the role was kept: a sandbox on the gateway network had no other
  // endpoint giving a gateway (else it would have left it), so its other outgoing endpoints
  // are the ones that need it.
  const n = s.networks.get(ep.networkId)
  const viaGateway =
    !onGatewayNetwork(s, ep) &&
    sb.endpoints.some((e) => isGatewayEndpoint(s, sb, s.endpoints.get(e)))
  const outgoing = !!n && !n.info.internal && !n.driver.capability.sharesHostNetwork
  const hasGateway =
    outgoing && !viaGateway && (n.v4.some((r) => r.gateway) || n.v6.some((r) => r.gateway))
  joinedOf(sb).set(ep.id, { gwPriority, order, hasGateway, wantsGateway: outgoing && viaGateway })
}

/**
 * At restore, once the drivers have rebuilt the kernel's state: give each sandbox the gateway
 * endpoint it needs and take away one it no longer needs, with the published ports of today
 * (a daemon killed between an overlay join and the gateway endpoint's join, or between a leave
 * and the gateway endpoint's leave, left them out of step). Returns what it changed; one
 * sandbox's failure is reported and does not stop the others.
 */
export async function reconcileGateways(s: State): Promise<string[]> {
  const done: string[] = []
  for (const sb of s.sandboxes.values()) {
    const count = sb.endpoints.length
    const ports = gatewayPortsText(s, sb)
    try {
      await syncGateway(s, sb, gatewayHooks)
    } catch (err) {
      done.push(`sandbox ${sb.containerId}: gateway endpoint not reconciled: ${String(err)}`)
      continue
    }
    if (sb.endpoints.length > count) done.push(`sandbox ${sb.containerId}: gateway endpoint added`)
    else if (sb.endpoints.length < count)
      done.push(`sandbox ${sb.containerId}: gateway endpoint removed`)
    else if (gatewayPortsText(s, sb) !== ports)
      done.push(`sandbox ${sb.containerId}: gateway endpoint's published ports brought up to date`)
  }
  return done
}

function gatewayPortsText(s: State, sb: SandboxInfo): string {
  for (const id of sb.endpoints) {
    const ep = s.endpoints.get(id)
    if (isGatewayEndpoint(s, sb, ep)) return JSON.stringify(ep!.portBindings)
  }
  return ''
}
