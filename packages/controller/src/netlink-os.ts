import {
  Netlink,
  createNetns,
  deleteNetns,
  listNetns,
  netnsExists,
  netnsPath,
} from '@libnetwork/netlink'
import { LibnetworkError } from '@libnetwork/types'
import type { SandboxOS } from './contracts.js'

/**
 * A sandbox layer on rtnetlink in-process (`@libnetwork/netlink`): named namespaces under
 * /run/netns, one netlink socket kept per sandbox, no spawns. With `hostNetns`, interfaces are
 * taken from that namespace instead of the current one.
 */
export function netlinkSandboxOS(opts: { hostNetns?: string } = {}): SandboxOS {
  let host: Netlink | undefined
  const hostNl = () => (host ??= Netlink.open(opts.hostNetns ? { netns: opts.hostNetns } : {}))
  const handles = new Map<string, Netlink>()
  const nl = (key: string) => {
    let h = handles.get(key)
    if (!h) handles.set(key, (h = Netlink.open({ netns: key })))
    return h
  }
  const drop = (key: string) => {
    handles.get(key)?.close()
    handles.delete(key)
  }
  return {
    path: (key) => netnsPath(key),
    async create(key) {
      const path = createNetns(key)
      try {
        nl(key).setUp('lo')
      } catch (err) {
        drop(key)
        deleteNetns(key)
        throw err
      }
      return path
    },
    async destroy(key) {
      drop(key)
      if (netnsExists(key)) deleteNetns(key)
    },
    async list(prefix) {
      return listNetns().filter((n) => n.startsWith(prefix))
    },
    async addInterface(key, spec) {
      const sb = nl(key)
      if (!spec.inSandbox) hostNl().setLink(spec.srcName, { netns: key })
      try {
        sb.setLink(spec.srcName, { name: spec.dstName, ...(spec.mac ? { mac: spec.mac } : {}) })
        if (spec.address) sb.addAddress(spec.dstName, spec.address)
        if (spec.addressIPv6) sb.addAddress(spec.dstName, spec.addressIPv6, { noDad: true })
        sb.setUp(spec.dstName)
        for (const r of spec.routes) {
          sb.addRoute({
            dst: r.destination,
            oif: spec.dstName,
            ...(r.routeType === 'nexthop' && r.nextHop ? { gateway: r.nextHop } : {}),
          })
        }
      } catch (err) {
        // Leave nothing half-configured: the interface goes (its veth peer with it).
        for (const name of [spec.dstName, spec.srcName]) if (sb.findLink(name)) sb.deleteLink(name)
        throw err
      }
    },
    async removeInterface(key, name) {
      if (!netnsExists(key)) return
      const sb = nl(key)
      if (sb.findLink(name)) sb.deleteLink(name)
    },
    async interfaces(key) {
      return nl(key)
        .links()
        .map((l) => l.name)
        .filter((n) => n !== 'lo')
    },
    async setGateway(key, gw) {
      const sb = nl(key)
      for (const r of sb.routes()) {
        if (r.dst === undefined && r.table === 254) {
          try {
            sb.deleteRoute({ family: r.family, gateway: r.gateway, oif: r.oif, table: r.table })
          } catch (err) {
            if (!LibnetworkError.isInstance(err) || err.category !== 'not-found') throw err
          }
        }
      }
      if (gw?.gateway) sb.addRoute({ gateway: gw.gateway, oif: gw.dstName })
      if (gw?.gatewayIPv6) sb.addRoute({ gateway: gw.gatewayIPv6, oif: gw.dstName })
    },
  }
}
