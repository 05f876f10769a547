import { IP } from '@libnetwork/types'
import { InvalidOptionError } from '@libnetwork/driverapi'

/** Typed options of one bridge network. */
export interface BridgeNetworkOptions {
  /** Bridge interface name; default `br-<first 12 hex of the network id>`. */
  bridgeName?: string
  /** Masquerade traffic leaving the host from this network (default true). */
  enableIPMasquerade: boolean
  /** Let containers of this network talk to each other (default true). */
  enableICC: boolean
  /** Default host address for published ports (default 0.0.0.0: all). */
  hostBindingIPv4?: IP
  /** MTU of the bridge and veths (default 1500). */
  mtu: number
  /** This is the default network's bridge (`docker0`-style): kept on delete unless created. */
  defaultBridge: boolean
  /** Prefix of the interface name inside containers (default `eth`). */
  containerIfacePrefix: string
}

/** Upstream label names accepted at the edge, mapped to option fields. */
export const LABELS = {
  'com.docker.network.bridge.name': 'bridgeName',
  'com.docker.network.bridge.enable_ip_masquerade': 'enableIPMasquerade',
  'com.docker.network.bridge.enable_icc': 'enableICC',
  'com.docker.network.bridge.host_binding_ipv4': 'hostBindingIPv4',
  'com.docker.network.driver.mtu': 'mtu',
  'com.docker.network.bridge.default_bridge': 'defaultBridge',
  'com.docker.network.container_iface_prefix': 'containerIfacePrefix',
} as const

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/
const PREFIX = /^[a-z]{1,8}$/

function bool(option: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v
  if (v === 'true' || v === '1') return true
  if (v === 'false' || v === '0') return false
  throw new InvalidOptionError(option, 'must be true or false', { value: String(v) })
}

/**
 * Parse bridge network options once, at the edge: a typed object, upstream label strings
 * (`com.docker.network.bridge.*`), or a mix. Unknown keys are rejected.
 */
export function parseBridgeOptions(raw: unknown): BridgeNetworkOptions {
  if (raw === undefined || raw === null) raw = {}
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new InvalidOptionError('options', 'must be an object')
  const o: BridgeNetworkOptions = {
    enableIPMasquerade: true,
    enableICC: true,
    mtu: 1500,
    defaultBridge: false,
    containerIfacePrefix: 'eth',
  }
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const field = (LABELS as Record<string, string>)[k] ?? k
    switch (field) {
      case 'bridgeName':
        if (typeof v !== 'string' || !IFNAME.test(v)) {
          throw new InvalidOptionError(k, 'must be an interface name (1-15 of A-Z a-z 0-9 _ . -)', {
            value: String(v),
          })
        }
        o.bridgeName = v
        break
      case 'enableIPMasquerade':
      case 'enableICC':
      case 'defaultBridge':
        o[field] = bool(k, v)
        break
      case 'hostBindingIPv4': {
        const ip =
          v instanceof IP ? v : typeof v === 'string' && IP.isValid(v) ? IP.parse(v) : undefined
        if (!ip || ip.version !== 4)
          throw new InvalidOptionError(k, 'must be an IPv4 address', { value: String(v) })
        o.hostBindingIPv4 = ip
        break
      }
      case 'mtu': {
        const n = typeof v === 'string' && /^[0-9]+$/.test(v) ? Number(v) : v
        if (typeof n !== 'number' || !Number.isInteger(n) || n < 68 || n > 65535) {
          throw new InvalidOptionError(k, 'must be an integer between 68 and 65535', {
            value: String(v),
          })
        }
        o.mtu = n
        break
      }
      case 'containerIfacePrefix':
        if (typeof v !== 'string' || !PREFIX.test(v))
          throw new InvalidOptionError(k, 'must be 1-8 lowercase letters', { value: String(v) })
        o.containerIfacePrefix = v
        break
      default:
        throw new InvalidOptionError(k, 'unknown bridge option')
    }
  }
  return o
}
