import { InvalidOptionError } from '@libnetwork/driverapi'

/** The macvlan modes this driver offers (upstream's four; the kernel's `source` is left out). */
export const MODES = ['bridge', 'private', 'vepa', 'passthru'] as const
export type MacvlanMode = (typeof MODES)[number]

/** Typed options of one macvlan network. */
export interface MacvlanNetworkOptions {
  /**
   * The host interface the containers' interfaces hang off (the LAN side), e.g. `eth0`. A
   * name `<link>.<vlan id>` that does not exist yet asks for an 802.1Q sub-interface of
   * `<link>`; no parent asks for a dummy link (`dm-<network id>`), an isolated network.
   */
  parent?: string
  /** How children of one parent reach each other (default `bridge`). */
  mode: MacvlanMode
}

/** Upstream option names accepted at the edge (`-o parent=eth0`), mapped to option fields. */
export const LABELS = {
  'com.docker.network.driver.macvlan.parent': 'parent',
  parent: 'parent',
  macvlan_mode: 'mode',
} as const

const IFNAME = /^[A-Za-z0-9_.-]{1,15}$/

const show = (v: unknown): string => (typeof v === 'string' ? v : (JSON.stringify(v) ?? String(v)))

/** A parent of the form `<link>.<vlan id>`, split; undefined when the name has no dot. */
export function vlanOf(parent: string): { link: string; vlanId: number } | undefined {
  const dot = parent.lastIndexOf('.')
  if (dot < 0) return undefined
  const link = parent.slice(0, dot)
  const id = parent.slice(dot + 1)
  if (link === '' || link.includes('.') || !/^[1-9][0-9]{0,3}$/.test(id) || Number(id) > 4094)
    throw new InvalidOptionError(
      'parent',
      'a sub-interface parent must be <link>.<vlan id> with a VLAN id from 1 to 4094, e.g. eth0.10',
      { value: parent },
    )
  return { link, vlanId: Number(id) }
}

/**
 * Parse macvlan network options once, at the edge: a typed object, upstream option names
 * (`parent`, `macvlan_mode`, `com.docker.network.driver.macvlan.parent`), or a mix. Unknown
 * keys are rejected.
 */
export function parseMacvlanOptions(raw: unknown): MacvlanNetworkOptions {
  if (raw === undefined || raw === null) raw = {}
  if (typeof raw !== 'object' || Array.isArray(raw))
    throw new InvalidOptionError('options', 'must be an object')
  const o: MacvlanNetworkOptions = { mode: 'bridge' }
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    const field = (LABELS as Record<string, string>)[k] ?? k
    switch (field) {
      case 'parent':
        if (v === undefined || v === '') break
        if (typeof v !== 'string' || !IFNAME.test(v))
          throw new InvalidOptionError(k, 'must be an interface name (1-15 of A-Z a-z 0-9 _ . -)', {
            value: show(v),
          })
        o.parent = v
        break
      case 'mode':
        if (typeof v !== 'string' || !(MODES as readonly string[]).includes(v))
          throw new InvalidOptionError(k, `must be one of ${MODES.join(', ')}`, {
            value: show(v),
          })
        o.mode = v as MacvlanMode
        break
      default:
        throw new InvalidOptionError(
          k,
          'unknown macvlan option (known: parent, macvlan_mode, com.docker.network.driver.macvlan.parent)',
        )
    }
  }
  return o
}
