import type { RestoreReport, RestoreState } from '@libnetwork/driverapi'
import type { MacvlanKernel } from './kernel.js'
import { ALIAS, dummyName, newEp, type Net } from './model.js'
import { parseMacvlanOptions, vlanOf, type MacvlanNetworkOptions } from './options.js'

/**
 * Networks and endpoints rebuilt from the controller's records. Parents the driver owns (a
 * VLAN sub-interface or a dummy, marked by the alias `libnetwork-macvlan:<network id>`) come
 * back when missing; owned parents that no record claims are deleted. A missing parent the
 * user made is reported, and the network kept (the parent may come back).
 */
export async function restoreNetworks(
  kernel: MacvlanKernel,
  state: RestoreState,
): Promise<{ nets: Map<string, Net>; report: RestoreReport }> {
  const removed: string[] = []
  const recreated: string[] = []
  const nets = new Map<string, Net>()
  const links = await kernel.links()
  const present = new Set(links.map((l) => l.name))
  for (const r of state.networks) {
    const opts = (r.options as MacvlanNetworkOptions | undefined) ?? parseMacvlanOptions({})
    const parent = opts.parent ?? dummyName(r.networkId)
    const alias = `${ALIAS}${r.networkId}`
    const link = links.find((l) => l.name === parent)
    let owned: 'vlan' | 'dummy' | undefined =
      opts.parent === undefined ? 'dummy' : link?.alias === alias ? 'vlan' : undefined
    if (!present.has(parent)) {
      const vlan = opts.parent === undefined ? undefined : vlanOf(opts.parent)
      try {
        if (owned === 'dummy') await kernel.createDummy({ name: parent, alias })
        else if (vlan) {
          await kernel.createVlan({ name: parent, ...vlan, alias })
          owned = 'vlan'
        }
        if (owned) {
          recreated.push(`${owned} ${parent}`)
          present.add(parent)
        } else removed.push(`network ${r.networkId}: parent ${parent} missing`)
      } catch (err) {
        removed.push(`network ${r.networkId}: parent ${parent} not recreated: ${String(err)}`)
      }
    }
    nets.set(r.networkId, {
      id: r.networkId,
      opts,
      parent,
      ...(owned ? { owned } : {}),
      ipv4: r.ipv4,
      ipv6: r.ipv6,
      internal: r.internal || owned === 'dummy',
      endpoints: new Map(),
    })
  }
  for (const r of state.endpoints) {
    const net = nets.get(r.networkId)
    if (!net) continue
    const ep = newEp(r.endpointId, r.iface)
    if (r.sandboxKey !== undefined) ep.sandboxKey = r.sandboxKey
    net.endpoints.set(ep.id, ep)
  }
  for (const l of links) {
    if (l.alias?.startsWith(ALIAS) && !nets.has(l.alias.slice(ALIAS.length))) {
      await kernel.deleteLink(l.name)
      removed.push(`${l.kind ?? 'link'} ${l.name}`)
    }
  }
  return { nets, report: { removed, recreated } }
}
