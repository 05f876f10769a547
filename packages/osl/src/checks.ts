/** Validation of interface options, and the description of an interface in a sandbox. */
import { type InterfaceAddress, BadRequestError, ConflictError } from '@libnetwork/types'
import { parseMAC } from '@libnetwork/netlink'
import type { Link } from '@libnetwork/netlink'
import type { NetlinkOps } from './ops.js'
import type { InterfaceOptions, SandboxInterface } from './types.js'

export function isAddr(v: unknown): v is InterfaceAddress {
  return typeof v === 'object' && v !== null && 'ip' in v && 'prefix' in v && 'network' in v
}

/** Validate what addInterface / joinVeth take (nothing changes on failure); the addresses. */
export function checkInterfaceOptions(
  key: string,
  nl: NetlinkOps,
  options: Omit<InterfaceOptions, 'srcName'>,
): InterfaceAddress[] {
  const prefix = options.dstPrefix ?? 'eth'
  if (!/^[a-z][a-z0-9_-]{0,9}$/i.test(prefix)) {
    throw new BadRequestError(
      'invalid-prefix',
      `invalid interface name prefix ${JSON.stringify(prefix)}`,
      { details: { prefix } },
    )
  }
  const addresses = options.addresses ?? []
  if (!Array.isArray(addresses) || !addresses.every(isAddr)) {
    throw new BadRequestError('invalid-address', 'addresses must be InterfaceAddress values')
  }
  if (options.mac !== undefined) parseMAC(options.mac)
  const mtu = options.mtu
  if (mtu !== undefined && (!Number.isInteger(mtu) || mtu < 68 || mtu > 65535)) {
    throw new BadRequestError(
      'invalid-mtu',
      `invalid MTU ${String(mtu)}: an integer from 68 to 65535`,
    )
  }
  if (options.dstName !== undefined && nl.findLink(options.dstName)) {
    throw new ConflictError(
      'interface-exists',
      `sandbox ${key} already has an interface ${options.dstName}`,
      { details: { key, name: options.dstName } },
    )
  }
  return addresses
}

/** A link as a SandboxInterface: its addresses from the kernel, link-local IPv6 left out. */
export function describeLink(nl: NetlinkOps, l: Link, srcName?: string): SandboxInterface {
  return {
    name: l.name,
    ...(srcName ? { srcName } : {}),
    index: l.index,
    ...(l.mac ? { mac: l.mac } : {}),
    mtu: l.mtu,
    up: l.up,
    addresses: nl
      .addresses({ link: l.index })
      .map((a) => a.address)
      .filter((a) => !(a.version === 6 && a.ip.value >> 118n === 0x3fan)),
  }
}
