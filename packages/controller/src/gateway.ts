/**
 * The way out for containers whose networks give them no gateway (an overlay network): as
 * upstream's docker_gwbridge, the sandbox also joins a local bridge network (made on demand,
 * masquerading, no inter-container traffic) whose endpoint gives the default route and carries
 * the container's published ports. The endpoint comes while some joined endpoint needs it and
 * none gives a gateway, and goes (left and deleted; the network stays) when that stops.
 */
import type { PortBinding, ExposedPort } from '@libnetwork/driverapi'
import { createEndpoint, deleteEndpoint } from './endpoints.js'
import type { EndpointInfo, SandboxInfo } from './model.js'
import { createNetwork } from './networks.js'
import type { NetRuntime, State } from './state.js'

/** The gateway network's name, driver and options (upstream's). */
export const GATEWAY_NETWORK = 'docker_gwbridge'
export const GATEWAY_DRIVER = 'bridge'
export const GATEWAY_OPTIONS: Readonly<Record<string, string>> = {
  'com.docker.network.bridge.name': 'docker_gwbridge',
  'com.docker.network.bridge.enable_icc': 'false',
  'com.docker.network.bridge.enable_ip_masquerade': 'true',
}

/** The gateway endpoint of a sandbox: `gateway_<first 12 of the sandbox id>`. */
export const gatewayEndpointName = (sb: SandboxInfo): string => `gateway_${sb.id.slice(0, 12)}`

/** What the gateway choice knows of a joined endpoint. */
export interface GatewayFacts {
  /** The endpoint gives the sandbox a default gateway. */
  hasGateway: boolean
  /** The endpoint is on a network that reaches out but gives no gateway (overlay). */
  wantsGateway: boolean
}

/** The sandbox's parts the gateway logic drives (from sandboxes.ts, to avoid an import cycle). */
export interface GatewayHooks {
  facts(sb: SandboxInfo): Iterable<[string, GatewayFacts]>
  join(s: State, endpoint: string, sandbox: string): Promise<void>
  leave(s: State, endpoint: string, sandbox: string): Promise<void>
}

/** Sandboxes being deleted: their leaves change no gateway endpoint. */
const closing = new WeakSet<SandboxInfo>()

export function gatewayNetwork(s: State): NetRuntime | undefined {
  for (const n of s.networks.values()) if (n.info.name === GATEWAY_NETWORK) return n
  return undefined
}

/** Whether `ep` is on the gateway network. */
export function onGatewayNetwork(s: State, ep: EndpointInfo | undefined): boolean {
  return ep !== undefined && s.networks.get(ep.networkId)?.info.name === GATEWAY_NETWORK
}

/** Whether `ep` is the gateway endpoint of `sb` (one a user joined to the network is not). */
export function isGatewayEndpoint(
  s: State,
  sb: SandboxInfo,
  ep: EndpointInfo | undefined,
): boolean {
  return onGatewayNetwork(s, ep) && ep!.name === gatewayEndpointName(sb)
}

/** The sandbox's joined gateway endpoint. */
function joinedGateway(s: State, sb: SandboxInfo): EndpointInfo | undefined {
  for (const id of sb.endpoints) {
    const ep = s.endpoints.get(id)
    if (isGatewayEndpoint(s, sb, ep)) return ep
  }
  return undefined
}

/** Some endpoint needs the way out and none (besides the gateway one) gives a gateway. */
export function needsGateway(s: State, sb: SandboxInfo, hooks: GatewayHooks): boolean {
  let want = false
  for (const [id, f] of hooks.facts(sb)) {
    if (isGatewayEndpoint(s, sb, s.endpoints.get(id))) continue
    if (f.hasGateway) return false
    want ||= f.wantsGateway
  }
  return want
}

/** Published ports of the endpoints that go out through the gateway endpoint. */
function ports(s: State, sb: SandboxInfo, hooks: GatewayHooks) {
  const portBindings: PortBinding[] = []
  const exposedPorts: ExposedPort[] = []
  for (const [id, f] of hooks.facts(sb)) {
    const ep = s.endpoints.get(id)
    if (!f.wantsGateway || !ep) continue
    portBindings.push(...ep.portBindings)
    exposedPorts.push(...ep.exposedPorts)
  }
  return { portBindings, exposedPorts }
}

async function connect(s: State, sb: SandboxInfo, hooks: GatewayHooks): Promise<void> {
  let n = gatewayNetwork(s)
  if (!n) {
    await createNetwork(s, {
      name: GATEWAY_NETWORK,
      driver: GATEWAY_DRIVER,
      options: { ...GATEWAY_OPTIONS },
    })
    n = gatewayNetwork(s)!
  }
  const name = gatewayEndpointName(sb)
  const nid = n.info.id
  // one left behind (a failed step, a restart) is used again
  let ep = [...s.endpoints.values()].find((e) => e.networkId === nid && e.name === name)
  const made = !ep
  ep ??= await createEndpoint(s, nid, { name, ...ports(s, sb, hooks) })
  try {
    await hooks.join(s, ep.id, sb.id)
  } catch (err) {
    if (made) await deleteEndpoint(s, ep.id).catch(() => undefined)
    throw err
  }
}

async function disconnect(
  s: State,
  sb: SandboxInfo,
  ep: EndpointInfo,
  hooks: GatewayHooks,
): Promise<void> {
  await hooks.leave(s, ep.id, sb.id)
  await deleteEndpoint(s, ep.id)
}

/**
 * After a join or leave in `sb`: join the gateway network when the sandbox needs it and has no
 * endpoint there, leave it (and delete the endpoint) when it no longer needs it.
 */
export async function syncGateway(s: State, sb: SandboxInfo, hooks: GatewayHooks): Promise<void> {
  if (closing.has(sb) || !sb.key) return
  const gw = joinedGateway(s, sb)
  const need = needsGateway(s, sb, hooks)
  if (need && !gw) await connect(s, sb, hooks)
  else if (!need && gw) await disconnect(s, sb, gw, hooks)
}

/**
 * Run a sandbox's deletion (`leaveAll` leaves every endpoint) without gateway changes, then
 * delete its gateway endpoint.
 */
export async function closingSandbox(
  s: State,
  sb: SandboxInfo,
  leaveAll: () => Promise<void>,
): Promise<void> {
  closing.add(sb)
  try {
    await leaveAll()
  } finally {
    closing.delete(sb)
  }
  const n = gatewayNetwork(s)
  const name = gatewayEndpointName(sb)
  const ep =
    n && [...s.endpoints.values()].find((e) => e.networkId === n.info.id && e.name === name)
  if (ep && !ep.sandboxId) await deleteEndpoint(s, ep.id)
}
