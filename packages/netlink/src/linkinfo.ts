/** Kind-specific link attributes (IFLA_INFO_DATA) for bridge, vxlan, macvlan, ipvlan, vlan. */
import { BadRequestError, IP } from '@libnetwork/types'
import { type Attrs, type MessageWriter, attrU16, attrU32, attrU8, parseAttrs } from './codec.js'
import {
  IFLA_BR,
  IFLA_IPVLAN,
  IFLA_MACVLAN,
  IFLA_VLAN,
  IFLA_VXLAN,
  IPVLAN_FLAG,
  IPVLAN_MODE,
  MACVLAN_MODE,
  VLAN_PROTOCOL,
} from './constants.js'
import { checkEnum, checkInt, isIP } from './validate.js'

export type MacvlanMode = keyof typeof MACVLAN_MODE
export type IpvlanMode = keyof typeof IPVLAN_MODE
export type IpvlanFlag = keyof typeof IPVLAN_FLAG
export type VlanProtocol = keyof typeof VLAN_PROTOCOL

export interface BridgeOptions {
  /** Forwarding delay and ageing time in centiseconds, as the kernel stores them. */
  forwardDelay?: number
  ageingTime?: number
  stp?: boolean
  priority?: number
  vlanFiltering?: boolean
  multicastSnooping?: boolean
}

export interface VxlanOptions {
  /** VXLAN network identifier, 0 to 16777215. */
  id: number
  local?: IP
  /** Unicast remote endpoint or multicast group (either fills IFLA_VXLAN_GROUP/GROUP6). */
  remote?: IP
  group?: IP
  /** Destination UDP port (default: the kernel's, 8472; Docker uses 4789). */
  port?: number
  learning?: boolean
  proxy?: boolean
  l2miss?: boolean
  l3miss?: boolean
  ttl?: number
  /** Underlay device index. */
  linkIndex?: number
}

export interface VxlanInfo {
  id: number
  local?: IP
  group?: IP
  port?: number
  learning?: boolean
  proxy?: boolean
  l2miss?: boolean
  l3miss?: boolean
  ttl?: number
  linkIndex?: number
}

const bool = (a: Buffer | undefined): boolean | undefined =>
  a === undefined ? undefined : attrU8(a) !== 0

function checkIP(v: unknown, field: string): IP {
  if (!isIP(v)) {
    throw new BadRequestError('invalid-ip', `${field} must be an IP value (IP.parse)`, {
      details: { [field]: String(v) },
    })
  }
  return v as IP
}

export function encodeBridge(w: MessageWriter, o: BridgeOptions): void {
  if (o.forwardDelay !== undefined)
    w.u32(IFLA_BR.FORWARD_DELAY, checkInt(o.forwardDelay, 'forwardDelay', 0, 0xffffffff))
  if (o.ageingTime !== undefined)
    w.u32(IFLA_BR.AGEING_TIME, checkInt(o.ageingTime, 'ageingTime', 0, 0xffffffff))
  if (o.stp !== undefined) w.u32(IFLA_BR.STP_STATE, o.stp ? 1 : 0)
  if (o.priority !== undefined) w.u16(IFLA_BR.PRIORITY, checkInt(o.priority, 'priority', 0, 65535))
  if (o.vlanFiltering !== undefined) w.u8(IFLA_BR.VLAN_FILTERING, o.vlanFiltering ? 1 : 0)
  if (o.multicastSnooping !== undefined) w.u8(IFLA_BR.MCAST_SNOOPING, o.multicastSnooping ? 1 : 0)
}

export function decodeBridge(a: Attrs): BridgeOptions {
  const out: BridgeOptions = {}
  const fd = attrU32(a.get(IFLA_BR.FORWARD_DELAY))
  if (fd !== undefined) out.forwardDelay = fd
  const ag = attrU32(a.get(IFLA_BR.AGEING_TIME))
  if (ag !== undefined) out.ageingTime = ag
  const stp = attrU32(a.get(IFLA_BR.STP_STATE))
  if (stp !== undefined) out.stp = stp !== 0
  const pr = attrU16(a.get(IFLA_BR.PRIORITY))
  if (pr !== undefined) out.priority = pr
  const vf = bool(a.get(IFLA_BR.VLAN_FILTERING))
  if (vf !== undefined) out.vlanFiltering = vf
  const ms = bool(a.get(IFLA_BR.MCAST_SNOOPING))
  if (ms !== undefined) out.multicastSnooping = ms
  return out
}

export function encodeVxlan(w: MessageWriter, o: VxlanOptions): void {
  if (typeof o !== 'object' || o === null) {
    throw new BadRequestError('invalid-vxlan', 'vxlan options are required ({ id, … })')
  }
  w.u32(IFLA_VXLAN.ID, checkInt(o.id, 'vni', 0, 0xffffff))
  if (o.remote !== undefined && o.group !== undefined) {
    throw new BadRequestError('invalid-vxlan', 'give either remote or group, not both')
  }
  const dst = o.remote ?? o.group
  if (dst !== undefined) {
    const ip = checkIP(dst, 'remote')
    w.attr(ip.version === 4 ? IFLA_VXLAN.GROUP : IFLA_VXLAN.GROUP6, ip.toBytes())
  }
  if (o.local !== undefined) {
    const ip = checkIP(o.local, 'local')
    w.attr(ip.version === 4 ? IFLA_VXLAN.LOCAL : IFLA_VXLAN.LOCAL6, ip.toBytes())
  }
  if (o.linkIndex !== undefined)
    w.u32(IFLA_VXLAN.LINK, checkInt(o.linkIndex, 'linkIndex', 1, 0x7fffffff))
  if (o.ttl !== undefined) w.u8(IFLA_VXLAN.TTL, checkInt(o.ttl, 'ttl', 0, 255))
  if (o.learning !== undefined) w.u8(IFLA_VXLAN.LEARNING, o.learning ? 1 : 0)
  if (o.proxy !== undefined) w.u8(IFLA_VXLAN.PROXY, o.proxy ? 1 : 0)
  if (o.l2miss !== undefined) w.u8(IFLA_VXLAN.L2MISS, o.l2miss ? 1 : 0)
  if (o.l3miss !== undefined) w.u8(IFLA_VXLAN.L3MISS, o.l3miss ? 1 : 0)
  if (o.port !== undefined) w.be16(IFLA_VXLAN.PORT, checkInt(o.port, 'port', 1, 65535))
}

export function decodeVxlan(a: Attrs): VxlanInfo {
  const out: VxlanInfo = { id: attrU32(a.get(IFLA_VXLAN.ID)) ?? 0 }
  const g = a.get(IFLA_VXLAN.GROUP) ?? a.get(IFLA_VXLAN.GROUP6)
  if (g && (g.length === 4 || g.length === 16)) {
    const ip = IP.fromBytes(g)
    if (!ip.isUnspecified()) out.group = ip
  }
  const l = a.get(IFLA_VXLAN.LOCAL) ?? a.get(IFLA_VXLAN.LOCAL6)
  if (l && (l.length === 4 || l.length === 16)) {
    const ip = IP.fromBytes(l)
    if (!ip.isUnspecified()) out.local = ip
  }
  const port = a.get(IFLA_VXLAN.PORT)
  if (port && port.length >= 2) out.port = port.readUInt16BE(0)
  const learning = bool(a.get(IFLA_VXLAN.LEARNING))
  if (learning !== undefined) out.learning = learning
  const proxy = bool(a.get(IFLA_VXLAN.PROXY))
  if (proxy !== undefined) out.proxy = proxy
  const l2 = bool(a.get(IFLA_VXLAN.L2MISS))
  if (l2 !== undefined) out.l2miss = l2
  const l3 = bool(a.get(IFLA_VXLAN.L3MISS))
  if (l3 !== undefined) out.l3miss = l3
  const ttl = attrU8(a.get(IFLA_VXLAN.TTL))
  if (ttl !== undefined) out.ttl = ttl
  const link = attrU32(a.get(IFLA_VXLAN.LINK))
  if (link) out.linkIndex = link
  return out
}

const keyOf = <T extends Record<string, number>>(
  map: T,
  v: number | undefined,
): keyof T | undefined => (Object.keys(map) as (keyof T)[]).find((k) => map[k] === v)

export function encodeMacvlan(w: MessageWriter, mode: MacvlanMode): void {
  w.u32(
    IFLA_MACVLAN.MODE,
    MACVLAN_MODE[checkEnum(mode, 'mode', Object.keys(MACVLAN_MODE) as MacvlanMode[])],
  )
}

export function decodeMacvlan(a: Attrs): { mode?: MacvlanMode } {
  const mode = keyOf(MACVLAN_MODE, attrU32(a.get(IFLA_MACVLAN.MODE)))
  return mode ? { mode } : {}
}

export function encodeIpvlan(w: MessageWriter, mode: IpvlanMode, flag: IpvlanFlag): void {
  w.u16(
    IFLA_IPVLAN.MODE,
    IPVLAN_MODE[checkEnum(mode, 'mode', Object.keys(IPVLAN_MODE) as IpvlanMode[])],
  )
  w.u16(
    IFLA_IPVLAN.FLAGS,
    IPVLAN_FLAG[checkEnum(flag, 'flag', Object.keys(IPVLAN_FLAG) as IpvlanFlag[])],
  )
}

export function decodeIpvlan(a: Attrs): { mode?: IpvlanMode; flag?: IpvlanFlag } {
  const mode = keyOf(IPVLAN_MODE, attrU16(a.get(IFLA_IPVLAN.MODE)))
  const flag = keyOf(IPVLAN_FLAG, attrU16(a.get(IFLA_IPVLAN.FLAGS)))
  return { ...(mode ? { mode } : {}), ...(flag ? { flag } : {}) }
}

export function encodeVlan(w: MessageWriter, id: number, protocol: VlanProtocol): void {
  w.u16(IFLA_VLAN.ID, checkInt(id, 'vlanId', 0, 4094))
  w.be16(
    IFLA_VLAN.PROTOCOL,
    VLAN_PROTOCOL[checkEnum(protocol, 'protocol', Object.keys(VLAN_PROTOCOL) as VlanProtocol[])],
  )
}

export function decodeVlan(a: Attrs): { vlanId?: number; protocol?: VlanProtocol } {
  const id = attrU16(a.get(IFLA_VLAN.ID))
  const p = a.get(IFLA_VLAN.PROTOCOL)
  const protocol = keyOf(VLAN_PROTOCOL, p && p.length >= 2 ? p.readUInt16BE(0) : undefined)
  return { ...(id !== undefined ? { vlanId: id } : {}), ...(protocol ? { protocol } : {}) }
}

/** Decode IFLA_INFO_DATA of a known kind; unknown kinds give undefined. */
export function decodeInfoData(
  kind: string | undefined,
  data: Buffer | undefined,
): LinkInfoData | undefined {
  if (!kind || !data) return undefined
  const a = parseAttrs(data)
  switch (kind) {
    case 'bridge':
      return { kind, ...decodeBridge(a) }
    case 'vxlan':
      return { kind, ...decodeVxlan(a) }
    case 'macvlan':
    case 'macvtap':
      return { kind: 'macvlan', ...decodeMacvlan(a) }
    case 'ipvlan':
      return { kind, ...decodeIpvlan(a) }
    case 'vlan':
      return { kind, ...decodeVlan(a) }
    default:
      return undefined
  }
}

export type LinkInfoData =
  | ({ kind: 'bridge' } & BridgeOptions)
  | ({ kind: 'vxlan' } & VxlanInfo)
  | { kind: 'macvlan'; mode?: MacvlanMode }
  | { kind: 'ipvlan'; mode?: IpvlanMode; flag?: IpvlanFlag }
  | { kind: 'vlan'; vlanId?: number; protocol?: VlanProtocol }
