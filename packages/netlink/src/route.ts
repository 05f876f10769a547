/** Routes (RTM_*ROUTE): default, static via a gateway, on-link, per table. */
import { BadRequestError, IP, IPNet } from '@libnetwork/types'
import { type NetlinkMessage, MessageWriter, attrU32, parseAttrs } from './codec.js'
import {
  AF_INET,
  AF_INET6,
  NLM_F,
  RTA,
  RTM,
  RTN,
  RTNH_F_ONLINK,
  RTPROT,
  RT_SCOPE,
  RT_TABLE,
} from './constants.js'
import { familyOf } from './addr.js'
import { checkInt, isIP, isIPNet } from './validate.js'

export interface Route {
  family: 4 | 6
  /** Destination network; undefined for a default route. */
  dst?: IPNet
  gateway?: IP
  /** Output interface index. */
  oif?: number
  prefsrc?: IP
  priority?: number
  table: number
  protocol: number
  scope: number
  type: number
  onLink: boolean
}

export interface RouteSpec {
  /** Destination; omit for the default route (then `family` or the gateway decides v4/v6). */
  dst?: IPNet
  gateway?: IP
  /** Output interface index. */
  oif?: number
  /** Treat the gateway as directly reachable on `oif` even without a matching prefix. */
  onLink?: boolean
  family?: 4 | 6
  table?: number
  priority?: number
  prefsrc?: IP
  /** Route scope; default: link for a route without gateway, universe otherwise. */
  scope?: 'universe' | 'link' | 'host'
}

function familyOfSpec(r: RouteSpec): 4 | 6 {
  const versions = [r.dst?.version, r.gateway?.version, r.prefsrc?.version, r.family].filter(
    (v): v is 4 | 6 => v !== undefined,
  )
  const v = versions[0] ?? 4
  if (versions.some((x) => x !== v)) {
    throw new BadRequestError('invalid-route', 'route addresses mix IPv4 and IPv6')
  }
  return v
}

export function checkRouteSpec(r: RouteSpec): void {
  if (typeof r !== 'object' || r === null)
    throw new BadRequestError('invalid-route', 'a route spec object is required')
  if (r.dst !== undefined && !isIPNet(r.dst)) {
    throw new BadRequestError('invalid-route', 'route dst must be an IPNet value')
  }
  if (r.gateway !== undefined && !isIP(r.gateway)) {
    throw new BadRequestError('invalid-route', 'route gateway must be an IP value')
  }
  if (r.prefsrc !== undefined && !isIP(r.prefsrc)) {
    throw new BadRequestError('invalid-route', 'route prefsrc must be an IP value')
  }
  if (r.gateway === undefined && r.oif === undefined) {
    throw new BadRequestError(
      'invalid-route',
      'a route needs a gateway, an output interface, or both',
    )
  }
  if (r.onLink && r.oif === undefined) {
    throw new BadRequestError('invalid-route', 'an on-link route needs an output interface')
  }
}

/** RTM_NEWROUTE (create, fail if present; or replace) or RTM_DELROUTE. */
export function encodeRoute(op: 'add' | 'replace' | 'del', r: RouteSpec): MessageWriter {
  checkRouteSpec(r)
  const family = familyOfSpec(r)
  const flags =
    NLM_F.REQUEST |
    NLM_F.ACK |
    (op === 'add' ? NLM_F.CREATE | NLM_F.EXCL : op === 'replace' ? NLM_F.CREATE | NLM_F.REPLACE : 0)
  const w = new MessageWriter(op === 'del' ? RTM.DELROUTE : RTM.NEWROUTE, flags, 128)
  const table = checkInt(r.table ?? RT_TABLE.MAIN, 'table', 1, 0xffffffff)
  const scope =
    op === 'del'
      ? RT_SCOPE.NOWHERE
      : r.scope === 'host'
        ? RT_SCOPE.HOST
        : r.scope === 'link' || (r.scope === undefined && r.gateway === undefined)
          ? RT_SCOPE.LINK
          : RT_SCOPE.UNIVERSE
  const hdr = Buffer.alloc(12)
  hdr.writeUInt8(familyOf(family), 0)
  hdr.writeUInt8(r.dst?.prefix ?? 0, 1)
  hdr.writeUInt8(table < 256 ? table : 0, 4)
  hdr.writeUInt8(op === 'del' ? 0 : RTPROT.BOOT, 5)
  hdr.writeUInt8(scope, 6)
  hdr.writeUInt8(op === 'del' ? 0 : RTN.UNICAST, 7)
  hdr.writeUInt32LE(r.onLink ? RTNH_F_ONLINK : 0, 8)
  w.struct(hdr)
  if (table >= 256) w.u32(RTA.TABLE, table)
  if (r.dst !== undefined) w.attr(RTA.DST, r.dst.ip.toBytes())
  if (r.gateway !== undefined) w.attr(RTA.GATEWAY, r.gateway.toBytes())
  if (r.prefsrc !== undefined) w.attr(RTA.PREFSRC, r.prefsrc.toBytes())
  if (r.oif !== undefined) w.u32(RTA.OIF, checkInt(r.oif, 'oif', 1, 0x7fffffff))
  if (r.priority !== undefined) w.u32(RTA.PRIORITY, checkInt(r.priority, 'priority', 0, 0xffffffff))
  return w
}

export function encodeGetRoute(family: 4 | 6): MessageWriter {
  const w = new MessageWriter(RTM.GETROUTE, NLM_F.REQUEST | NLM_F.DUMP, 32)
  const hdr = Buffer.alloc(12)
  hdr.writeUInt8(familyOf(family), 0)
  return w.struct(hdr)
}

export function decodeRoute(m: NetlinkMessage): Route | undefined {
  const p = m.payload
  const af = p.readUInt8(0)
  if (af !== AF_INET && af !== AF_INET6) return undefined
  const family = af === AF_INET ? 4 : 6
  const a = parseAttrs(p, 12)
  const dstLen = p.readUInt8(1)
  const out: Route = {
    family,
    table: attrU32(a.get(RTA.TABLE)) ?? p.readUInt8(4),
    protocol: p.readUInt8(5),
    scope: p.readUInt8(6),
    type: p.readUInt8(7),
    onLink: (p.readUInt32LE(8) & RTNH_F_ONLINK) !== 0,
  }
  const dst = a.get(RTA.DST)
  if (dst) out.dst = IPNet.of(IP.fromBytes(dst), dstLen)
  else if (dstLen > 0) return undefined
  const gw = a.get(RTA.GATEWAY)
  if (gw) out.gateway = IP.fromBytes(gw)
  const oif = attrU32(a.get(RTA.OIF))
  if (oif !== undefined) out.oif = oif
  const src = a.get(RTA.PREFSRC)
  if (src) out.prefsrc = IP.fromBytes(src)
  const prio = attrU32(a.get(RTA.PRIORITY))
  if (prio !== undefined) out.priority = prio
  return out
}
