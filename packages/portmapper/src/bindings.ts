import { BadRequestError, IP, type PortBinding, type PortRange } from '@libnetwork/types'
import type { PortMapping } from './rules.js'

/**
 * What to publish: the protocol and host address of a `PortBinding`, the container's address,
 * and a port or a range on either side.
 */
export interface MapRequest extends Pick<PortBinding, 'protocol' | 'hostIP'> {
  /** Host address; default the unspecified address of the container's family. */
  hostIP?: IP
  /** A port, a range to pick one from, or omitted/0 for any port of the dynamic range. */
  hostPort?: number | PortRange
  containerIP: IP
  /**
   * A port, or a range: each container port is then published on its own host port (the
   * matching port of a `hostPort` range of the same length, consecutive ports from a numeric
   * `hostPort`, or any ports when `hostPort` is omitted), as `-p 8000-8002:80-82` does.
   */
  containerPort: number | PortRange
  /**
   * The bridge this container sits on, when a mapper serves containers of several bridges
   * (default: the mapper's `bridge`). Its rules then match this bridge.
   */
  bridge?: string
}

/** A binding after range expansion: one container port. */
export type SingleBinding = MapRequest & { containerPort: number }

export const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/

export function isPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535
}

/** Split a binding with a container port range into one binding per port. */
export function expand(b: MapRequest): SingleBinding[] {
  if (typeof b !== 'object' || b === null) {
    throw new BadRequestError('invalid-binding', 'a port binding must be an object')
  }
  const cp = b.containerPort
  if (typeof cp === 'number') return [{ ...b, containerPort: cp }]
  if (
    typeof cp !== 'object' ||
    cp === null ||
    !isPort(cp.start) ||
    !isPort(cp.end) ||
    cp.start > cp.end
  ) {
    throw new BadRequestError('invalid-port', `invalid container port range ${JSON.stringify(cp)}`)
  }
  const n = cp.end - cp.start + 1
  const hp = b.hostPort ?? 0
  let hostPortOf: (i: number) => number | PortRange
  if (hp === 0) hostPortOf = () => 0
  else if (typeof hp === 'number') {
    if (!isPort(hp) || hp + n - 1 > 65535) {
      throw new BadRequestError('invalid-port', `host ports ${hp}-${hp + n - 1} are out of range`)
    }
    hostPortOf = (i) => hp + i
  } else {
    if (!isPort(hp.start) || !isPort(hp.end) || hp.end - hp.start + 1 !== n) {
      throw new BadRequestError(
        'port-range-mismatch',
        `host port range ${JSON.stringify(hp)} must have as many ports as ${cp.start}-${cp.end}`,
        { details: { hostPort: hp, containerPort: cp } },
      )
    }
    hostPortOf = (i) => hp.start + i
  }
  return Array.from({ length: n }, (_, i) => ({
    ...b,
    hostPort: hostPortOf(i),
    containerPort: cp.start + i,
  }))
}

/** Stored form of mappings: JSON with addresses as text. */
export function serializeMappings(mappings: readonly PortMapping[]): string {
  return JSON.stringify(mappings)
}

/** Parse what `serializeMappings` wrote; BadRequestError on anything malformed. */
export function parseMappings(text: string): PortMapping[] {
  let raw: unknown
  try {
    raw = JSON.parse(text)
  } catch (cause) {
    throw new BadRequestError('invalid-mappings', 'stored mappings are not JSON', { cause })
  }
  if (!Array.isArray(raw))
    throw new BadRequestError('invalid-mappings', 'stored mappings must be an array')
  return raw.map((r: Record<string, unknown>) => {
    const protocol = r.protocol
    if (
      (protocol !== 'tcp' && protocol !== 'udp' && protocol !== 'sctp') ||
      !isPort(r.hostPort) ||
      !isPort(r.containerPort) ||
      (r.bridge !== undefined && (typeof r.bridge !== 'string' || !IFNAME.test(r.bridge)))
    ) {
      throw new BadRequestError('invalid-mappings', `bad stored mapping ${JSON.stringify(r)}`)
    }
    return {
      protocol,
      hostIP: IP.parse(String(r.hostIP)),
      hostPort: r.hostPort,
      containerIP: IP.parse(String(r.containerIP)),
      containerPort: r.containerPort,
      proxied: r.proxied === true,
      ...(typeof r.bridge === 'string' ? { bridge: r.bridge } : {}),
    }
  })
}
