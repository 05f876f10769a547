import { IPNet, type IP, type Protocol } from '@libnetwork/types'
import type { PlacedRule, Rule } from '@libnetwork/iptables'

/** One published port: host ip:port → container ip:port. */
export interface PortMapping {
  protocol: Protocol
  hostIP: IP
  hostPort: number
  containerIP: IP
  containerPort: number
  /** True when the userland proxy also serves it. */
  proxied: boolean
  /** The bridge the container sits on, when it differs from the mapper's `bridge` option. */
  bridge?: string
}

export interface ChainNames {
  /** nat: DNAT rules (jumped to from PREROUTING and OUTPUT). */
  dnat: string
  /** nat: hairpin MASQUERADE rules (jumped to from POSTROUTING). */
  masquerade: string
  /** filter: ACCEPT rules (jumped to from FORWARD). */
  forward: string
}

export function chainNames(prefix: string): ChainNames {
  return { dnat: prefix, masquerade: `${prefix}-POST`, forward: prefix }
}

/**
 * The rules of one mapping: DNAT from the host port, MASQUERADE for a container reaching its
 * own published port (hairpin), and ACCEPT in FORWARD towards the container.
 */
export function mappingRules(
  m: PortMapping,
  chains: ChainNames,
  defaultBridge: string | undefined,
): PlacedRule[] {
  const bridge = m.bridge ?? defaultBridge
  const fromOutside = bridge !== undefined && m.proxied ? { inInterface: { not: bridge } } : {}
  const dnat: Rule = {
    protocol: m.protocol,
    ...(m.hostIP.isUnspecified() ? {} : { destination: m.hostIP }),
    ...fromOutside,
    destinationPort: m.hostPort,
    target: { type: 'DNAT', to: m.containerIP, port: m.containerPort },
  }
  const hairpin: Rule = {
    protocol: m.protocol,
    source: m.containerIP,
    destination: m.containerIP,
    destinationPort: m.containerPort,
    target: { type: 'MASQUERADE' },
  }
  const accept: Rule = {
    protocol: m.protocol,
    destination: m.containerIP,
    ...(bridge === undefined ? {} : { inInterface: { not: bridge }, outInterface: bridge }),
    destinationPort: m.containerPort,
    target: { type: 'ACCEPT' },
  }
  return [
    { table: 'nat', chain: chains.dnat, rule: dnat },
    { table: 'nat', chain: chains.masquerade, rule: hairpin },
    { table: 'filter', chain: chains.forward, rule: accept },
  ]
}

/**
 * Jumps from the built-in chains into ours. With `excludeLoopback` (the proxy serves
 * loopback), host-local traffic to 127.0.0.0/8 or ::1 is not DNATed.
 */
export function anchorRules(
  chains: ChainNames,
  family: 4 | 6,
  excludeLoopback: boolean,
): PlacedRule[] {
  const loopback = IPNet.parse(family === 4 ? '127.0.0.0/8' : '::1/128')
  return [
    {
      table: 'nat',
      chain: 'PREROUTING',
      rule: { dstType: 'LOCAL', target: { type: 'jump', chain: chains.dnat } },
    },
    {
      table: 'nat',
      chain: 'OUTPUT',
      // with the proxy, host-local traffic to loopback goes to the proxy, the rest is DNATed
      rule: excludeLoopback
        ? {
            destination: { not: loopback },
            dstType: 'LOCAL',
            target: { type: 'jump', chain: chains.dnat },
          }
        : { dstType: 'LOCAL', target: { type: 'jump', chain: chains.dnat } },
    },
    {
      table: 'nat',
      chain: 'POSTROUTING',
      rule: { target: { type: 'jump', chain: chains.masquerade } },
    },
    {
      table: 'filter',
      chain: 'FORWARD',
      rule: { target: { type: 'jump', chain: chains.forward } },
    },
  ]
}
