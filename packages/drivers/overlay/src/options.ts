import { InvalidOptionError } from '@libnetwork/driverapi'

/** The UDP port VXLAN uses unless told otherwise (IANA's, as upstream). */
export const DEFAULT_VXLAN_PORT = 4789
/** The first VNI handed out when a network names none (upstream's `vxlanIDStart`). */
export const VNI_START = 4096
/** The largest VNI (24 bits). */
export const VNI_END = 2 ** 24 - 1
/** What VXLAN over IPv4 adds to a frame: MTU = underlay MTU - 50 (upstream's `vxlanEncap`). */
export const VXLAN_OVERHEAD = 50

/** Typed options of one overlay network. */
export interface OverlayNetworkOptions {
  /** VXLAN ids chosen by the user (upstream: one per subnet; the first is the network's). */
  vnis?: number[]
  /** The MTU of the containers' interfaces; default the underlay's minus 50. */
  mtu?: number
  /** Encrypt traffic with IPsec ESP (refused on a kernel without ESP). */
  encrypted: boolean
}

/** Upstream option names accepted at the edge (`-o …`), mapped to option fields. */
export const LABELS = {
  'com.docker.network.driver.overlay.vxlanid_list': 'vnis',
  'com.docker.network.driver.mtu': 'mtu',
  encrypted: 'encrypted',
} as const

const show = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)))

function vni(key: string, v: unknown): number {
  const n = typeof v === 'string' && /^\s*[0-9]+\s*$/.test(v) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > VNI_END)
    throw new InvalidOptionError(key, `a VXLAN id is a whole number from 1 to ${VNI_END}`, {
      value: show(v),
    })
  return n
}

/** `"4097,4098"` or `[4097, 4098]`: distinct VNIs. */
function parseVnis(key: string, v: unknown): number[] {
  const list = typeof v === 'string' ? v.split(',') : Array.isArray(v) ? v : [v]
  const out = list.map((x) => vni(key, x))
  if (out.length === 0 || new Set(out).size !== out.length)
    throw new InvalidOptionError(key, 'must list distinct VXLAN ids', { value: show(v) })
  return out
}

function mtu(key: string, v: unknown): number {
  const n = typeof v === 'string' && /^\s*[0-9]+\s*$/.test(v) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 68 || n > 65535)
    throw new InvalidOptionError(key, 'an MTU is a whole number from 68 to 65535', {
      value: show(v),
    })
  return n
}

function flag(key: string, v: unknown): boolean {
  // upstream: `-o encrypted` (present, any value) turns it on
  if (v === true || v === '' || v === 'true' || v === '1') return true
  if (v === false || v === 'false' || v === '0') return false
  throw new InvalidOptionError(key, 'must be true or false', { value: show(v) })
}

/**
 * Parse overlay network options once, at the edge: a typed object, upstream option names, or
 * a mix. Unknown keys are rejected.
 */
export function parseOverlayOptions(raw: unknown): OverlayNetworkOptions {
  if (raw === undefined || raw === null) raw = {}
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new InvalidOptionError('options', 'must be an object')
  const o: OverlayNetworkOptions = { encrypted: false }
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const field = (LABELS as Record<string, string>)[k] ?? k
    if (v === undefined) continue
    switch (field) {
      case 'vnis':
        o.vnis = parseVnis(k, v)
        break
      case 'mtu':
        o.mtu = mtu(k, v)
        break
      case 'encrypted':
        o.encrypted = flag(k, v)
        break
      default:
        throw new InvalidOptionError(
          k,
          `unknown overlay option (known: ${Object.keys(LABELS).join(', ')}, vnis, mtu)`,
        )
    }
  }
  return o
}
