/** Interface addresses (RTM_*ADDR). */
import { BadRequestError, IP, InterfaceAddress } from '@libnetwork/types'
import { type NetlinkMessage, MessageWriter, attrString, attrU32, parseAttrs } from './codec.js'
import { AF_INET, AF_INET6, AF_UNSPEC, IFA, IFA_F, NLM_F, RTM } from './constants.js'
import { checkInt, isInterfaceAddress } from './validate.js'

export interface Address {
  /** Interface index. */
  index: number
  address: InterfaceAddress
  scope: number
  /** IFA_F_* flags. */
  flags: number
  label?: string
}

export interface AddressOptions {
  /** Skip duplicate address detection (IPv6), as Docker does for container addresses. */
  noDad?: boolean
  /** Do not add the prefix route the kernel adds by default. */
  noPrefixRoute?: boolean
  /** IPv4 label (defaults to the interface name by the kernel). */
  label?: string
}

export const familyOf = (v: 4 | 6): number => (v === 4 ? AF_INET : AF_INET6)

export function checkAddress(a: unknown): InterfaceAddress {
  if (!isInterfaceAddress(a)) {
    throw new BadRequestError(
      'invalid-address',
      'the address must be an InterfaceAddress value (InterfaceAddress.parse("10.0.0.2/24"))',
      { details: { address: String(a) } },
    )
  }
  return a as InterfaceAddress
}

/** RTM_NEWADDR (create, fail if present) or RTM_DELADDR for one address. */
export function encodeAddr(
  op: 'add' | 'del' | 'replace',
  index: number,
  address: InterfaceAddress,
  options: AddressOptions = {},
): MessageWriter {
  checkAddress(address)
  const type = op === 'del' ? RTM.DELADDR : RTM.NEWADDR
  const flags =
    NLM_F.REQUEST |
    NLM_F.ACK |
    (op === 'add' ? NLM_F.CREATE | NLM_F.EXCL : op === 'replace' ? NLM_F.CREATE | NLM_F.REPLACE : 0)
  const w = new MessageWriter(type, flags, 128)
  const ifaFlags =
    (options.noDad ? IFA_F.NODAD : 0) | (options.noPrefixRoute ? IFA_F.NOPREFIXROUTE : 0)
  const hdr = Buffer.alloc(8)
  hdr.writeUInt8(familyOf(address.version), 0)
  hdr.writeUInt8(address.prefix, 1)
  hdr.writeUInt8(ifaFlags & 0xff, 2)
  hdr.writeUInt8(0, 3)
  hdr.writeUInt32LE(checkInt(index, 'index', 1, 0x7fffffff), 4)
  w.struct(hdr)
  const bytes = address.ip.toBytes()
  w.attr(IFA.LOCAL, bytes).attr(IFA.ADDRESS, bytes)
  if (op !== 'del' && address.version === 4 && address.prefix < 31) {
    w.attr(IFA.BROADCAST, address.network.last.toBytes())
  }
  if (options.label !== undefined) w.str(IFA.LABEL, options.label)
  if (ifaFlags & ~0xff) w.u32(IFA.FLAGS, ifaFlags)
  return w
}

export function encodeGetAddr(family: 4 | 6 | undefined): MessageWriter {
  const w = new MessageWriter(RTM.GETADDR, NLM_F.REQUEST | NLM_F.DUMP, 32)
  const hdr = Buffer.alloc(8)
  hdr.writeUInt8(family === undefined ? AF_UNSPEC : familyOf(family), 0)
  return w.struct(hdr)
}

export function decodeAddr(m: NetlinkMessage): Address | undefined {
  const p = m.payload
  const family = p.readUInt8(0)
  if (family !== AF_INET && family !== AF_INET6) return undefined
  const a = parseAttrs(p, 8)
  const raw = a.get(IFA.LOCAL) ?? a.get(IFA.ADDRESS)
  if (!raw) return undefined
  const out: Address = {
    index: p.readUInt32LE(4),
    address: InterfaceAddress.of(IP.fromBytes(raw), p.readUInt8(1)),
    scope: p.readUInt8(3),
    flags: attrU32(a.get(IFA.FLAGS)) ?? p.readUInt8(2),
  }
  const label = attrString(a.get(IFA.LABEL))
  if (label) out.label = label
  return out
}
