/**
 * Restore after a restart: networks and endpoints from the records; a network namespace with
 * joined endpoints is kept as it is (the containers' interfaces live on), a broken one made
 * again, one no record claims removed.
 */
import type { RestoreReport, RestoreState } from '@libnetwork/driverapi'
import { ConflictError, type Logger } from '@libnetwork/types'
import type { OverlayKernel } from './kernel.js'
import { BRIDGE, macFor, newEp, newNet, vxlanName, type Net } from './model.js'
import { VXLAN_OVERHEAD, parseOverlayOptions, type OverlayNetworkOptions } from './options.js'
import type { Plumbing } from './plumbing.js'
import type { VniPool } from './vni.js'

export const VNI_LABEL = 'com.docker.network.driver.overlay.vxlanid_list'

export interface RestoreContext {
  kernel: OverlayKernel
  plumbing: Plumbing
  vnis: VniPool
  prefix: string
  log: Logger
}

/** The VNIs a network was given: its driver data (from allocateNetwork), else its options. */
export function vnisOf(
  driverData: Record<string, string> | undefined,
  opts: OverlayNetworkOptions,
): number[] | undefined {
  const given = driverData?.[VNI_LABEL]
  return given !== undefined ? parseOverlayOptions({ [VNI_LABEL]: given }).vnis : opts.vnis
}

export async function restoreNetworks(
  ctx: RestoreContext,
  state: RestoreState,
): Promise<{ nets: Map<string, Net>; report: RestoreReport }> {
  const { kernel, plumbing: p } = ctx
  const report: RestoreReport = { removed: [], recreated: [] }
  const nets = new Map<string, Net>()
  for (const req of state.networks) {
    const opts = (req.options as OverlayNetworkOptions | undefined) ?? parseOverlayOptions({})
    const vnis = vnisOf(req.driverData, opts)
    // no driver data: createNetwork reserved the VNI itself (in a shared store it still is)
    let own: number[] | undefined
    if (req.driverData?.[VNI_LABEL] === undefined)
      own = await ctx.vnis.reserve(opts.vnis).catch((err: unknown) => {
        if (opts.vnis && ConflictError.isInstance(err)) return opts.vnis
        throw err
      })
    const mtu = opts.mtu ?? kernel.underlayMtu(p.local()) - VXLAN_OVERHEAD
    const vni = vnis?.[0] ?? own![0]!
    nets.set(
      req.networkId,
      newNet(req, { opts, vni, ...(own ? { ownVnis: own } : {}), mtu, prefix: ctx.prefix }),
    )
  }
  const joined = state.endpoints.filter((e) => e.sandboxKey !== undefined && nets.has(e.networkId))
  const claimed = new Set(joined.map((e) => nets.get(e.networkId)!.netns))
  for (const ns of kernel.listSandboxes(ctx.prefix)) {
    // only names this driver makes (`<prefix><vni>-<id>`): a longer prefix is another daemon's
    if (claimed.has(ns) || !/^[0-9]+-/.test(ns.slice(ctx.prefix.length))) continue
    kernel.deleteNetworkSandbox(ns)
    report.removed.push(ns)
  }
  for (const e of state.endpoints) {
    const net = nets.get(e.networkId)
    if (!net) continue
    const ep = newEp(e.endpointId, e.iface, e.iface.mac ?? macFor(e.iface.address))
    net.endpoints.set(ep.id, ep)
    if (e.sandboxKey === undefined) continue
    try {
      if (!net.sandbox) {
        if (kernel.linkExists(net.netns, vxlanName(net.vni, net.id))) {
          await p.joinGroup(net)
          p.adopt(net)
        } else {
          if (kernel.sandboxExists(net.netns)) report.removed.push(net.netns)
          kernel.deleteNetworkSandbox(net.netns)
          await p.ensure(net)
        }
      }
      if (!kernel.linkExists(net.netns, ep.host)) {
        kernel.createVeth({
          netns: net.netns,
          bridge: BRIDGE,
          host: ep.host,
          peer: ep.peer,
          sandboxKey: e.sandboxKey,
          mtu: net.mtu,
          mac: ep.mac,
        })
        report.recreated.push(ep.id)
      }
      ep.sandboxKey = e.sandboxKey
      await p.publish(net, ep, 'put')
    } catch (err) {
      ctx.log.warn('overlay: cannot restore a joined endpoint', { endpointId: ep.id, error: err })
    }
  }
  return { nets, report }
}
