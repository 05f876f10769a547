/** Neighbour (ARP/NDP) entries and bridge / VXLAN forwarding database entries (RTM_*NEIGH). */
import { BadRequestError, IP } from '@libnetwork/types'
import { type NetlinkMessage, MessageWriter, attrU16, attrU32, parseAttrs } from './codec.js'
import { AF_BRIDGE, AF_INET, AF_INET6, NDA, NLM_F, NTF, NUD, RTM } from './constants.js'
import { familyOf } from './addr.js'
import { formatMAC, parseMAC } from './mac.js'
import { checkInt, isIP } from './validate.js'

export type NeighborState = 'permanent' | 'reachable' | 'stale' | 'noarp'
const STATE: Record<NeighborState, number> = {
  permanent: NUD.PERMANENT,
  reachable: NUD.REACHABLE,
  stale: NUD.STALE,
  noarp: NUD.NOARP,
}

export interface Neighbor {
  /** 4, 6, or 'bridge' for FDB entries. */
  family: 4 | 6 | 'bridge'
  index: number
  ip?: IP
  mac?: string
  /** NUD_* bits. */
  state: number
  /** NTF_* bits. */
  flags: number
  vlan?: number
  vni?: number
  port?: number
  master?: number
}

/** An ARP (IPv4) or NDP (IPv6) entry on interface `index`. */
export interface NeighborSpec {
  index: number
  ip: IP
  mac: string
  state?: NeighborState
  /** Proxy / router flags are rarely needed; `NTF_*` bits. */
  flags?: number
}

/** A bridge or VXLAN FDB entry: `mac` reachable through `index` (a bridge port or vxlan device). */
export interface FdbSpec {
  index: number
  mac: string
  /** VXLAN: remote tunnel endpoint for this MAC. */
  dst?: IP
  vni?: number
  port?: number
  vlan?: number
  /** `self` programs the device's own table (vxlan), `master` the bridge's (default self). */
  target?: 'self' | 'master'
  state?: NeighborState
}

function ndmsg(family: number, index: number, state: number, flags: number): Buffer {
  const b = Buffer.alloc(12)
  b.writeUInt8(family, 0)
  b.writeInt32LE(checkInt(index, 'index', 1, 0x7fffffff), 4)
  b.writeUInt16LE(state, 8)
  b.writeUInt8(flags, 10)
  return b
}

function opFlags(op: 'add' | 'replace' | 'del'): number {
  return (
    NLM_F.REQUEST |
    NLM_F.ACK |
    (op === 'add' ? NLM_F.CREATE | NLM_F.EXCL : op === 'replace' ? NLM_F.CREATE | NLM_F.REPLACE : 0)
  )
}

function stateOf(s: NeighborState | undefined): number {
  if (s === undefined) return NUD.PERMANENT
  const v = STATE[s]
  if (v === undefined)
    throw new BadRequestError('invalid-state', `invalid neighbour state ${JSON.stringify(s)}`)
  return v
}

export function encodeNeigh(op: 'add' | 'replace' | 'del', n: NeighborSpec): MessageWriter {
  if (!isIP(n?.ip))
    throw new BadRequestError('invalid-neighbor', 'neighbour ip must be an IP value')
  const mac = op === 'del' ? undefined : parseMAC(n.mac)
  const w = new MessageWriter(op === 'del' ? RTM.DELNEIGH : RTM.NEWNEIGH, opFlags(op), 96)
  w.struct(
    ndmsg(
      familyOf(n.ip.version),
      n.index,
      stateOf(n.state),
      checkInt(n.flags ?? 0, 'flags', 0, 255),
    ),
  )
  w.attr(NDA.DST, n.ip.toBytes())
  if (mac) w.attr(NDA.LLADDR, mac)
  return w
}

export function encodeFdb(op: 'add' | 'replace' | 'del', f: FdbSpec): MessageWriter {
  if (typeof f !== 'object' || f === null)
    throw new BadRequestError('invalid-fdb', 'an fdb spec object is required')
  const mac = parseMAC(f.mac)
  if (f.dst !== undefined && !isIP(f.dst))
    throw new BadRequestError('invalid-fdb', 'fdb dst must be an IP value')
  const flags = f.target === 'master' ? NTF.MASTER : NTF.SELF
  const w = new MessageWriter(op === 'del' ? RTM.DELNEIGH : RTM.NEWNEIGH, opFlags(op), 96)
  w.struct(ndmsg(AF_BRIDGE, f.index, stateOf(f.state), flags))
  w.attr(NDA.LLADDR, mac)
  if (f.dst !== undefined) w.attr(NDA.DST, f.dst.toBytes())
  if (f.vlan !== undefined) w.u16(NDA.VLAN, checkInt(f.vlan, 'vlan', 0, 4094))
  if (f.port !== undefined) w.be16(NDA.PORT, checkInt(f.port, 'port', 1, 65535))
  if (f.vni !== undefined) w.u32(NDA.VNI, checkInt(f.vni, 'vni', 0, 0xffffff))
  return w
}

export function encodeGetNeigh(family: 4 | 6 | 'bridge'): MessageWriter {
  const w = new MessageWriter(RTM.GETNEIGH, NLM_F.REQUEST | NLM_F.DUMP, 32)
  const b = Buffer.alloc(12)
  b.writeUInt8(family === 'bridge' ? AF_BRIDGE : familyOf(family), 0)
  return w.struct(b)
}

export function decodeNeigh(m: NetlinkMessage): Neighbor | undefined {
  const p = m.payload
  const af = p.readUInt8(0)
  const family = af === AF_INET ? 4 : af === AF_INET6 ? 6 : af === AF_BRIDGE ? 'bridge' : undefined
  if (family === undefined) return undefined
  const a = parseAttrs(p, 12)
  const out: Neighbor = {
    family,
    index: p.readInt32LE(4),
    state: p.readUInt16LE(8),
    flags: p.readUInt8(10),
  }
  const dst = a.get(NDA.DST)
  if (dst && (dst.length === 4 || dst.length === 16)) out.ip = IP.fromBytes(dst)
  const ll = a.get(NDA.LLADDR)
  if (ll && ll.length === 6) out.mac = formatMAC(ll)
  const vlan = attrU16(a.get(NDA.VLAN))
  if (vlan !== undefined) out.vlan = vlan
  const vni = attrU32(a.get(NDA.VNI))
  if (vni !== undefined) out.vni = vni
  const port = a.get(NDA.PORT)
  if (port && port.length >= 2) out.port = port.readUInt16BE(0)
  const master = attrU32(a.get(NDA.MASTER))
  if (master !== undefined) out.master = master
  return out
}
