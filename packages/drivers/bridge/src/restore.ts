import type { RestoreReport, RestoreState } from '@libnetwork/driverapi'
import type { PortMapping } from '@libnetwork/portmapper'
import type { BridgeDriverConfig } from './config.js'
import type { BridgeKernel } from './kernel.js'
import { newEp, newNet, parseAlias, type Ep, type Net } from './model.js'
import type { Netfilter } from './netfilter.js'
import { boundPort, mappingOf } from './ports.js'

/** What `reconcile` works on: the driver's (emptied) records and its kernel I/O. */
export interface ReconcileContext {
  cfg: BridgeDriverConfig
  kernel: BridgeKernel
  netfilter: Netfilter | undefined
  /** The driver's networks; filled from the records. */
  nets: Map<string, Net>
  proxy: boolean
  plumbBridge(net: Net): Promise<void>
  hairpin(ep: Ep): boolean
}

/**
 * Rebuild the driver's records from the stored state and make the kernel match them: stale
 * links go, missing bridges come back, veths are re-attached, the chains are rebuilt in one
 * go and published ports come back on the same host ports.
 */
export async function reconcile(
  ctx: ReconcileContext,
  state: RestoreState,
): Promise<RestoreReport> {
  const removed: string[] = []
  const recreated: string[] = []
  for (const r of state.networks) ctx.nets.set(r.networkId, newNet(ctx.cfg, r))
  const links = await ctx.kernel.links()
  const stored: PortMapping[] = []
  const owners: Ep[] = []
  const before = await ctx.netfilter?.snapshot()
  const known = new Set<string>()
  for (const net of ctx.nets.values()) {
    known.add(net.id)
    if (!links.some((l) => l.name === net.bridge)) recreated.push(`bridge ${net.bridge}`)
    await ctx.plumbBridge(net)
  }
  for (const r of state.endpoints) {
    const net = ctx.nets.get(r.networkId)
    if (!net) continue
    const ep = newEp(r.endpointId, r.iface, r.options)
    ep.joined = r.sandboxKey !== undefined
    known.add(ep.id)
    const host = links.find((l) => l.name === ep.host)
    if (!ep.joined && host) {
      // A crash mid-join: the pair exists but the join was never recorded.
      await ctx.kernel.deleteLink(ep.host)
      removed.push(`veth ${ep.host}`)
    } else if (ep.joined && !host) {
      removed.push(`endpoint ${ep.id}: veth lost`)
    } else if (host && host.master !== net.bridge) {
      await ctx.kernel.attach(ep.host, net.bridge, ctx.hairpin(ep))
      recreated.push(`veth ${ep.host} attached`)
    }
    net.endpoints.set(ep.id, ep)
    for (const p of ep.joined ? (r.boundPorts ?? []) : []) {
      stored.push(mappingOf(p, net.bridge, ctx.proxy))
      owners.push(ep)
    }
  }
  // Stale links are those of this owner (another daemon's are not ours to judge) that no
  // record names.
  for (const l of links) {
    const made = parseAlias(l.alias)
    if (made && made.owner === ctx.cfg.owner && !known.has(made.id)) {
      await ctx.kernel.deleteLink(l.name)
      removed.push(`${l.kind === 'bridge' ? 'bridge' : 'veth'} ${l.name}`)
    }
  }
  // Rebuild our chains from the records in one go: stale rules go, missing ones come back;
  // published ports come back on the same host ports.
  const nf = ctx.netfilter
  if (nf) {
    await nf.setup([...ctx.nets.values()])
    const { done, failed } = (await nf.publisher?.restoreFor(stored, owners)) ?? {
      done: new Map<Ep, PortMapping[]>(),
      failed: [],
    }
    for (const [ep, maps] of done) {
      ep.mappings = maps
      ep.ports = maps.map(boundPort)
    }
    for (const [ep, err] of failed)
      removed.push(`endpoint ${ep.id}: ports not restored: ${err.message}`)
    if ((await nf.snapshot()) !== before) recreated.push('iptables rules')
  }
  return { removed, recreated }
}
