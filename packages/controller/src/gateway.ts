/**
 * The way out for containers whose networks give them no gateway (an overlay network): as
 * upstream's docker_gwbridge, the sandbox also joins a local bridge network (made on demand,
 * masquerading, no inter-container traffic) whose endpoint gives the default route and carries
 * the container's published ports. The endpoint comes while some joined endpoint needs it and
 * none gives a gateway, and goes (left and deleted; the network stays) when that stops.
 *
 * Upstream takes the gateway endpoint's ports from the container, once. Here they are the
 * published ports of the sandbox's endpoints that go out through it, so they follow those
 * endpoints' joins and leaves (`syncPorts`).
 */
import {
  portBindingKey,
  type BoundPort,
  type ExposedPort,
  type PortBinding,
} from '@libnetwork/driverapi'
import { createEndpoint, deleteEndpoint } from './endpoints.js'
import type { EndpointInfo, SandboxInfo } from './model.js'
import { createNetwork } from './networks.js'
import { save, type NetRuntime, type State } from './state.js'

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

/** The published ports a sandbox's gateway endpoint carries. */
export interface GatewayPorts {
  portBindings: PortBinding[]
  exposedPorts: ExposedPort[]
}

const exposedKey = (p: ExposedPort): string => `${p.protocol}/${p.port}`

/**
 * Published ports of the endpoints that go out through the gateway endpoint, in join order,
 * each once (two endpoints publishing the same binding share it: the gateway endpoint has one
 * address).
 */
export function gatewayPorts(s: State, sb: SandboxInfo, hooks: GatewayHooks): GatewayPorts {
  const bindings = new Map<string, PortBinding>()
  const exposed = new Map<string, ExposedPort>()
  for (const [id, f] of hooks.facts(sb)) {
    const ep = s.endpoints.get(id)
    if (!f.wantsGateway || !ep || isGatewayEndpoint(s, sb, ep)) continue
    for (const b of ep.portBindings)
      bindings.set(portBindingKey(b), bindings.get(portBindingKey(b)) ?? b)
    for (const p of ep.exposedPorts) exposed.set(exposedKey(p), exposed.get(exposedKey(p)) ?? p)
  }
  return { portBindings: [...bindings.values()], exposedPorts: [...exposed.values()] }
}

/** Whether `ep` carries exactly `want` (order aside). */
function samePorts(ep: GatewayPorts, want: GatewayPorts): boolean {
  const set = (xs: string[]) => [...new Set(xs)].sort().join()
  return (
    set(ep.portBindings.map(portBindingKey)) === set(want.portBindings.map(portBindingKey)) &&
    set(ep.exposedPorts.map(exposedKey)) === set(want.exposedPorts.map(exposedKey))
  )
}

/**
 * `bindings`, each whose host port is picked (0, or a range) asking for the one it has in
 * `bound`: publishing a set again moves no port that stays. A host port goes to one binding.
 */
export function keepBoundPorts(bindings: PortBinding[], bound: BoundPort[]): PortBinding[] {
  const given = new Set<string>()
  return bindings.map((b) => {
    const first = b.hostPort ?? 0
    if (first !== 0 && (b.hostPortEnd === undefined || b.hostPortEnd === first)) return b
    const hit = bound.find(
      (x) =>
        x.protocol === b.protocol &&
        x.port === b.port &&
        !given.has(`${x.protocol}/${x.hostPort}`) &&
        (b.hostIP === undefined || b.hostIP.toString() === x.hostIP.toString()) &&
        (first === 0 || (x.hostPort >= first && x.hostPort <= (b.hostPortEnd ?? first))),
    )
    if (!hit) return b
    given.add(`${hit.protocol}/${hit.hostPort}`)
    return { ...b, hostPort: hit.hostPort, hostPortEnd: hit.hostPort }
  })
}

const hasPorts = (p: GatewayPorts): boolean =>
  p.portBindings.length > 0 || p.exposedPorts.length > 0

/**
 * Publish `ports` on the joined gateway endpoint `gw`, after revoking what it has; picked host
 * ports found in `bound` are asked for again.
 */
async function publish(
  s: State,
  gw: EndpointInfo,
  ports: GatewayPorts,
  bound: BoundPort[],
): Promise<void> {
  const n = s.networks.get(gw.networkId)!
  const ref = { networkId: n.info.id, endpointId: gw.id }
  if (gw.boundPorts.length > 0 || hasPorts(gw)) await n.driver.revokeExternalConnectivity(ref)
  gw.boundPorts = []
  gw.portBindings = ports.portBindings
  gw.exposedPorts = ports.exposedPorts
  if (n.info.internal || !hasPorts(ports)) return
  gw.boundPorts = await n.driver.programExternalConnectivity({
    ...ref,
    options: {
      portBindings: keepBoundPorts(ports.portBindings, bound),
      exposedPorts: ports.exposedPorts,
    },
  })
}

/**
 * Make the joined gateway endpoint `gw` carry the ports its sandbox's endpoints publish now (an
 * endpoint joined with ports of its own after the gateway endpoint was made, or one that left).
 * A driver cannot add to an endpoint's published set, so the set is revoked and published
 * again (host ports it picked are kept): for that moment new connections to the ports that stay
 * are refused, and those a userland proxy carries for them are closed (NATed ones go on). A set
 * the driver refuses (a host port taken) puts the previous one back and throws.
 */
export async function syncPorts(
  s: State,
  sb: SandboxInfo,
  gw: EndpointInfo,
  hooks: GatewayHooks,
): Promise<void> {
  const want = gatewayPorts(s, sb, hooks)
  if (samePorts(gw, want)) return
  const before: GatewayPorts = { portBindings: gw.portBindings, exposedPorts: gw.exposedPorts }
  const bound = gw.boundPorts
  try {
    await publish(s, gw, want, bound)
    await save.endpoint(s, gw)
  } catch (err) {
    try {
      await publish(s, gw, before, bound)
      await save.endpoint(s, gw)
    } catch (again) {
      s.logger.error('gateway network: the previous published ports are not back', {
        sandboxId: sb.id,
        endpointId: gw.id,
        error: again,
      })
    }
    throw err
  }
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
  const ports = gatewayPorts(s, sb, hooks)
  // one left behind (a failed step, a kill) is used again, with today's ports
  const left = [...s.endpoints.values()].find((e) => e.networkId === nid && e.name === name)
  if (left && !samePorts(left, ports)) {
    left.portBindings = ports.portBindings
    left.exposedPorts = ports.exposedPorts
    await save.endpoint(s, left)
  }
  const ep = left ?? (await createEndpoint(s, nid, { name, ...ports }))
  try {
    await hooks.join(s, ep.id, sb.id)
  } catch (err) {
    if (!left) await deleteEndpoint(s, ep.id).catch(() => undefined)
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
 * After a join or leave in `sb` (and at restore): join the gateway network when the sandbox
 * needs it and has no endpoint there, leave it (and delete the endpoint) when it no longer
 * needs it, and keep the gateway endpoint's published ports those of the endpoints it serves.
 */
export async function syncGateway(s: State, sb: SandboxInfo, hooks: GatewayHooks): Promise<void> {
  if (closing.has(sb) || !sb.key) return
  const gw = joinedGateway(s, sb)
  const need = needsGateway(s, sb, hooks)
  if (need && !gw) await connect(s, sb, hooks)
  else if (!need && gw) await disconnect(s, sb, gw, hooks)
  else if (need && gw) await syncPorts(s, sb, gw, hooks)
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
