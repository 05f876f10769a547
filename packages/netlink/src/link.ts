/** Links (network interfaces): the decoded view and the RTM_*LINK request encoders. */
import { BadRequestError } from '@libnetwork/types'
import {
  type NetlinkMessage,
  MessageWriter,
  attrString,
  attrU32,
  attrU8,
  parseAttrs,
} from './codec.js'
import {
  AF_UNSPEC,
  IFF,
  IFLA,
  IFLA_BRPORT,
  IFLA_INFO,
  NLM_F,
  RTM,
  VETH_INFO_PEER,
} from './constants.js'
import {
  type BridgeOptions,
  type IpvlanFlag,
  type IpvlanMode,
  type LinkInfoData,
  type MacvlanMode,
  type VlanProtocol,
  type VxlanOptions,
  decodeInfoData,
  encodeBridge,
  encodeIpvlan,
  encodeMacvlan,
  encodeVlan,
  encodeVxlan,
} from './linkinfo.js'
import { formatMAC, parseMAC } from './mac.js'
import { checkEnum, checkIfName, checkInt } from './validate.js'

const OPER_STATES = [
  'unknown',
  'notpresent',
  'down',
  'lowerlayerdown',
  'testing',
  'dormant',
  'up',
] as const
export type OperState = (typeof OPER_STATES)[number]

/** A link as the kernel reports it. */
export interface Link {
  index: number
  name: string
  /** rtnetlink kind (`bridge`, `veth`, `vxlan`, …); undefined for physical and loopback. */
  kind?: string
  /** IFF_* flags. */
  flags: number
  /** Administratively up (IFF_UP). */
  up: boolean
  operState: OperState
  mtu: number
  mac?: string
  /** Index of the bridge (or bond) this link is enslaved to. */
  master?: number
  /** Index of the parent / peer link (IFLA_LINK), which may live in another namespace. */
  parent?: number
  /** Set when `parent` is in another namespace (its id as seen from here). */
  linkNetnsId?: number
  txQueueLen?: number
  alias?: string
  /** Kind-specific settings (bridge, vxlan, macvlan, ipvlan, vlan). */
  info?: LinkInfoData
  /** The kind of the master when enslaved (`bridge`). */
  slaveKind?: string
  /** Port settings when enslaved to a bridge. */
  bridgePort?: BridgePortInfo
}

/** Settings of a bridge port (the link's side of its enslavement). */
export interface BridgePort {
  /** Send frames back out of the port they came in on (Docker's userland-proxy-off mode). */
  hairpin?: boolean
  learning?: boolean
  unicastFlood?: boolean
  /** Isolated ports only talk to non-isolated ones. */
  isolated?: boolean
  cost?: number
  priority?: number
}

export interface BridgePortInfo extends BridgePort {
  /** STP port state: 0 disabled, 1 listening, 2 learning, 3 forwarding, 4 blocking. */
  state?: number
}

/** A link by name or index. */
export type LinkRef = string | number

/** Where a link should live: an open namespace fd or a process id. */
export type NetnsTarget = { fd: number } | { pid: number }

/** Attributes common to every kind of new link. */
export interface LinkAttrs {
  name: string
  mtu?: number
  mac?: string
  txQueueLen?: number
  /** Enslave to this bridge (index, once resolved). */
  master?: number
  up?: boolean
  netns?: NetnsTarget
}

export interface VethPeer {
  name: string
  mac?: string
  mtu?: number
  netns?: NetnsTarget
}

/** A new link, by kind. Parent / master indexes are resolved by the caller. */
export type RawLinkSpec = LinkAttrs &
  (
    | { kind: 'bridge'; bridge?: BridgeOptions }
    | { kind: 'veth'; peer: VethPeer }
    | { kind: 'vxlan'; vxlan: VxlanOptions }
    | { kind: 'macvlan'; parent: number; mode?: MacvlanMode }
    | { kind: 'ipvlan'; parent: number; mode?: IpvlanMode; flag?: IpvlanFlag }
    | { kind: 'vlan'; parent: number; vlanId: number; protocol?: VlanProtocol }
    | { kind: 'dummy' }
  )

export type LinkKind = RawLinkSpec['kind']
export const LINK_KINDS: readonly LinkKind[] = [
  'bridge',
  'veth',
  'vxlan',
  'macvlan',
  'ipvlan',
  'vlan',
  'dummy',
]

/** Changes to an existing link. `master: 0` releases it from its bridge. */
export interface LinkChanges {
  up?: boolean
  mtu?: number
  mac?: string
  name?: string
  master?: number
  txQueueLen?: number
  alias?: string
  netns?: NetnsTarget
  /** Bridge port settings (the link must be enslaved to a bridge). */
  bridgePort?: BridgePort
}

function ifinfomsg(index: number, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16)
  b.writeUInt8(AF_UNSPEC, 0)
  b.writeInt32LE(index, 4)
  b.writeUInt32LE(flags >>> 0, 8)
  b.writeUInt32LE(change >>> 0, 12)
  return b
}

function netnsAttr(w: MessageWriter, ns: NetnsTarget): void {
  if ('fd' in ns) w.u32(IFLA.NET_NS_FD, checkInt(ns.fd, 'fd', 0, 0x7fffffff))
  else w.u32(IFLA.NET_NS_PID, checkInt(ns.pid, 'pid', 1, 0x7fffffff))
}

function commonAttrs(
  w: MessageWriter,
  a: Omit<LinkAttrs, 'name' | 'up'> & { name?: string },
): void {
  if (a.name !== undefined) w.str(IFLA.IFNAME, checkIfName(a.name))
  if (a.mtu !== undefined) w.u32(IFLA.MTU, checkInt(a.mtu, 'mtu', 68, 65535))
  if (a.mac !== undefined) w.attr(IFLA.ADDRESS, parseMAC(a.mac))
  if (a.txQueueLen !== undefined)
    w.u32(IFLA.TXQLEN, checkInt(a.txQueueLen, 'txQueueLen', 0, 0xffffffff))
  if (a.master !== undefined) w.u32(IFLA.MASTER, checkInt(a.master, 'master', 0, 0x7fffffff))
  if (a.netns !== undefined) netnsAttr(w, a.netns)
}

/** RTM_NEWLINK with NLM_F_CREATE|NLM_F_EXCL for a new link of any supported kind. */
export function encodeNewLink(spec: RawLinkSpec): MessageWriter {
  if (typeof spec !== 'object' || spec === null) {
    throw new BadRequestError('invalid-link', 'a link spec object is required')
  }
  const kind = checkEnum(spec.kind, 'kind', LINK_KINDS)
  const w = new MessageWriter(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK | NLM_F.CREATE | NLM_F.EXCL)
  w.struct(ifinfomsg(0, spec.up ? IFF.UP : 0, spec.up ? IFF.UP : 0))
  checkIfName(spec.name)
  commonAttrs(w, spec)
  if (spec.kind === 'macvlan' || spec.kind === 'ipvlan' || spec.kind === 'vlan') {
    w.u32(IFLA.LINK, checkInt(spec.parent, 'parent', 1, 0x7fffffff))
  }
  // Like iproute2, the kind goes without a trailing NUL (the kernel accepts both).
  w.begin(IFLA.LINKINFO).attr(IFLA_INFO.KIND, Buffer.from(kind))
  switch (spec.kind) {
    case 'bridge':
      if (spec.bridge && Object.keys(spec.bridge).length) {
        w.begin(IFLA_INFO.DATA)
        encodeBridge(w, spec.bridge)
        w.end()
      }
      break
    case 'veth': {
      const p = spec.peer
      if (typeof p !== 'object' || p === null) {
        throw new BadRequestError('invalid-veth', 'a veth link needs peer: { name }')
      }
      checkIfName(p.name, 'peer name')
      if (p.name === spec.name) {
        throw new BadRequestError('invalid-veth', `veth ends must have different names (${p.name})`)
      }
      w.begin(IFLA_INFO.DATA).begin(VETH_INFO_PEER).struct(ifinfomsg(0))
      commonAttrs(w, p)
      w.end().end()
      break
    }
    case 'vxlan':
      w.begin(IFLA_INFO.DATA)
      encodeVxlan(w, spec.vxlan)
      w.end()
      break
    case 'macvlan':
      w.begin(IFLA_INFO.DATA)
      encodeMacvlan(w, spec.mode ?? 'bridge')
      w.end()
      break
    case 'ipvlan':
      w.begin(IFLA_INFO.DATA)
      encodeIpvlan(w, spec.mode ?? 'l2', spec.flag ?? 'bridge')
      w.end()
      break
    case 'vlan':
      w.begin(IFLA_INFO.DATA)
      encodeVlan(w, spec.vlanId, spec.protocol ?? '802.1Q')
      w.end()
      break
    case 'dummy':
      break
  }
  w.end()
  return w
}

/** RTM_NEWLINK on an existing index, changing only what `changes` names. */
export function encodeSetLink(index: number, changes: LinkChanges): MessageWriter {
  if (typeof changes !== 'object' || changes === null) {
    throw new BadRequestError('invalid-link-changes', 'link changes must be an object')
  }
  const w = new MessageWriter(RTM.NEWLINK, NLM_F.REQUEST | NLM_F.ACK)
  const upFlags = changes.up === undefined ? 0 : changes.up ? IFF.UP : 0
  w.struct(
    ifinfomsg(
      checkInt(index, 'index', 1, 0x7fffffff),
      upFlags,
      changes.up === undefined ? 0 : IFF.UP,
    ),
  )
  commonAttrs(w, changes)
  if (changes.alias !== undefined) w.str(IFLA.IFALIAS, String(changes.alias))
  if (changes.bridgePort !== undefined) encodeBridgePort(w, changes.bridgePort)
  return w
}

function encodeBridgePort(w: MessageWriter, p: BridgePort): void {
  if (typeof p !== 'object' || p === null) {
    throw new BadRequestError('invalid-bridge-port', 'bridgePort must be an object')
  }
  w.begin(IFLA.LINKINFO).begin(IFLA_INFO.SLAVE_DATA)
  if (p.priority !== undefined) w.u16(IFLA_BRPORT.PRIORITY, checkInt(p.priority, 'priority', 0, 63))
  if (p.cost !== undefined) w.u32(IFLA_BRPORT.COST, checkInt(p.cost, 'cost', 1, 65535))
  if (p.hairpin !== undefined) w.u8(IFLA_BRPORT.MODE, p.hairpin ? 1 : 0)
  if (p.learning !== undefined) w.u8(IFLA_BRPORT.LEARNING, p.learning ? 1 : 0)
  if (p.unicastFlood !== undefined) w.u8(IFLA_BRPORT.UNICAST_FLOOD, p.unicastFlood ? 1 : 0)
  if (p.isolated !== undefined) w.u8(IFLA_BRPORT.ISOLATED, p.isolated ? 1 : 0)
  w.end().end()
}

function decodeBridgePort(data: Buffer): BridgePortInfo {
  const a = parseAttrs(data)
  const out: BridgePortInfo = {}
  const flag = (t: number): boolean | undefined => {
    const v = attrU8(a.get(t))
    return v === undefined ? undefined : v !== 0
  }
  const hairpin = flag(IFLA_BRPORT.MODE)
  if (hairpin !== undefined) out.hairpin = hairpin
  const learning = flag(IFLA_BRPORT.LEARNING)
  if (learning !== undefined) out.learning = learning
  const flood = flag(IFLA_BRPORT.UNICAST_FLOOD)
  if (flood !== undefined) out.unicastFlood = flood
  const isolated = flag(IFLA_BRPORT.ISOLATED)
  if (isolated !== undefined) out.isolated = isolated
  const cost = attrU32(a.get(IFLA_BRPORT.COST))
  if (cost !== undefined) out.cost = cost
  const prio = a.get(IFLA_BRPORT.PRIORITY)
  if (prio && prio.length >= 2) out.priority = prio.readUInt16LE(0)
  const state = attrU8(a.get(IFLA_BRPORT.STATE))
  if (state !== undefined) out.state = state
  return out
}

/** RTM_GETLINK for one link by index or name, or a dump of all links. */
export function encodeGetLink(ref?: LinkRef): MessageWriter {
  if (ref === undefined) {
    return new MessageWriter(RTM.GETLINK, NLM_F.REQUEST | NLM_F.DUMP, 64).struct(ifinfomsg(0))
  }
  const w = new MessageWriter(RTM.GETLINK, NLM_F.REQUEST | NLM_F.ACK, 64)
  if (typeof ref === 'number') return w.struct(ifinfomsg(checkInt(ref, 'index', 1, 0x7fffffff)))
  return w.struct(ifinfomsg(0)).str(IFLA.IFNAME, checkIfName(ref))
}

export function encodeDelLink(index: number): MessageWriter {
  return new MessageWriter(RTM.DELLINK, NLM_F.REQUEST | NLM_F.ACK, 32).struct(
    ifinfomsg(checkInt(index, 'index', 1, 0x7fffffff)),
  )
}

/** Decode an RTM_NEWLINK / RTM_DELLINK message. */
const LINK_ATTRS: ReadonlySet<number> = new Set([
  IFLA.IFNAME,
  IFLA.OPERSTATE,
  IFLA.MTU,
  IFLA.ADDRESS,
  IFLA.MASTER,
  IFLA.LINK,
  IFLA.LINK_NETNSID,
  IFLA.TXQLEN,
  IFLA.IFALIAS,
  IFLA.LINKINFO,
])

export function decodeLink(m: NetlinkMessage): Link {
  const p = m.payload
  const flags = p.readUInt32LE(8)
  // A link message carries ~50 attributes (stats, queues, …); only these are decoded.
  const a = parseAttrs(p, 16, p.length, LINK_ATTRS)
  const link: Link = {
    index: p.readInt32LE(4),
    name: attrString(a.get(IFLA.IFNAME)) ?? '',
    flags,
    up: (flags & IFF.UP) !== 0,
    operState: OPER_STATES[attrU8(a.get(IFLA.OPERSTATE)) ?? 0] ?? 'unknown',
    mtu: attrU32(a.get(IFLA.MTU)) ?? 0,
  }
  const mac = a.get(IFLA.ADDRESS)
  if (mac && mac.length === 6) link.mac = formatMAC(mac)
  const master = attrU32(a.get(IFLA.MASTER))
  if (master) link.master = master
  const parent = attrU32(a.get(IFLA.LINK))
  if (parent && parent !== link.index) link.parent = parent
  const nsid = a.get(IFLA.LINK_NETNSID)
  if (nsid && nsid.length >= 4) link.linkNetnsId = nsid.readInt32LE(0)
  const txq = attrU32(a.get(IFLA.TXQLEN))
  if (txq !== undefined) link.txQueueLen = txq
  const alias = attrString(a.get(IFLA.IFALIAS))
  if (alias) link.alias = alias
  const li = a.get(IFLA.LINKINFO)
  if (li) {
    const info = parseAttrs(li)
    const kind = attrString(info.get(IFLA_INFO.KIND))
    if (kind) link.kind = kind
    const slaveKind = attrString(info.get(IFLA_INFO.SLAVE_KIND))
    if (slaveKind) link.slaveKind = slaveKind
    const slaveData = info.get(IFLA_INFO.SLAVE_DATA)
    if (slaveKind === 'bridge' && slaveData) link.bridgePort = decodeBridgePort(slaveData)
    const data = decodeInfoData(kind, info.get(IFLA_INFO.DATA))
    if (data) link.info = data
  }
  return link
}
