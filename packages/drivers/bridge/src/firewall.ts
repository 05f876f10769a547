import {
  RuleSet,
  type Iptables,
  type PlacedRule,
  type Rule,
  type Table,
} from '@libnetwork/iptables'
import { anchorRules, type ChainNames } from '@libnetwork/portmapper'
import type { IPNet } from '@libnetwork/types'

// Declared in @libnetwork/iptables; the driver's other modules take it from here.
export type { PlacedRule }

export const CHAINS = {
  forward: 'LN-FORWARD',
  iso1: 'LN-ISOLATION-1',
  iso2: 'LN-ISOLATION-2',
  nets: 'LN-NETWORKS',
  post: 'LN-POSTROUTING',
  /** Owned by the port mapper: DNAT of published ports (nat). */
  dnat: 'LN-DNAT',
  /** Owned by the port mapper: ACCEPT towards published ports (filter). */
  ports: 'LN-PORTS',
  /** Owned by the port mapper: masquerade of a container reaching its own port (nat). */
  hairpin: 'LN-HAIRPIN',
} as const

/** The port mapper's chains, as it names them. */
export const PORT_CHAINS: ChainNames = {
  dnat: CHAINS.dnat,
  masquerade: CHAINS.hairpin,
  forward: CHAINS.ports,
}

/**
 * The chains and anchors of the bridge driver, one rule set per address family. The port
 * mapper's chains must exist before `apply`. With the userland proxy, host-local traffic to
 * loopback is left to the proxy (not DNATed).
 */
export function bridgeRuleSet(ipt: Iptables, proxy: boolean): RuleSet {
  const jump = (chain: string): Rule => ({ target: { type: 'jump', chain } })
  const rs = new RuleSet(ipt)
    .ownChain('filter', CHAINS.forward)
    .ownChain('filter', CHAINS.iso1)
    .ownChain('filter', CHAINS.iso2)
    .ownChain('filter', CHAINS.nets)
    .ownChain('nat', CHAINS.post)
    .anchor({ table: 'filter', chain: 'FORWARD', rule: jump(CHAINS.forward) })
  for (const a of anchorRules(PORT_CHAINS, ipt.family, proxy)) {
    if (a.chain === 'PREROUTING' || a.chain === 'OUTPUT') rs.anchor(a)
  }
  rs.anchor({ table: 'nat', chain: 'POSTROUTING', rule: jump(CHAINS.post) })
  return rs
}

/**
 * The fixed content of our chains: LN-FORWARD runs isolation first, then published ports, then
 * networks; LN-POSTROUTING starts with the hairpin masquerade of published ports.
 */
export function baseRules(): PlacedRule[] {
  const j = (table: Table, from: string, chain: string): PlacedRule => ({
    table,
    chain: from,
    rule: { target: { type: 'jump', chain } },
  })
  return [
    j('filter', CHAINS.forward, CHAINS.iso1),
    j('filter', CHAINS.forward, CHAINS.ports),
    j('filter', CHAINS.forward, CHAINS.nets),
    j('nat', CHAINS.post, CHAINS.hairpin),
  ]
}

export interface NetworkFirewall {
  bridge: string
  subnets: IPNet[]
  internal: boolean
  icc: boolean
  masquerade: boolean
}

/** Every rule one bridge network needs: isolation, ICC, outbound, inbound, masquerade. */
export function networkRules(n: NetworkFirewall): PlacedRule[] {
  const br = n.bridge
  const f = (chain: string, rule: Rule): PlacedRule => ({ table: 'filter', chain, rule })
  const rules: PlacedRule[] = []
  if (n.internal) {
    rules.push(
      f(CHAINS.iso1, { inInterface: br, outInterface: { not: br }, target: { type: 'DROP' } }),
    )
    rules.push(
      f(CHAINS.iso1, { inInterface: { not: br }, outInterface: br, target: { type: 'DROP' } }),
    )
  } else {
    rules.push(
      f(CHAINS.iso1, {
        inInterface: br,
        outInterface: { not: br },
        target: { type: 'jump', chain: CHAINS.iso2 },
      }),
    )
  }
  rules.push(f(CHAINS.iso2, { outInterface: br, target: { type: 'DROP' } }))
  rules.push(
    f(CHAINS.nets, {
      outInterface: br,
      ctstate: ['RELATED', 'ESTABLISHED'],
      target: { type: 'ACCEPT' },
    }),
  )
  rules.push(
    f(CHAINS.nets, {
      inInterface: br,
      outInterface: br,
      target: { type: n.icc ? 'ACCEPT' : 'DROP' },
    }),
  )
  if (!n.internal)
    rules.push(
      f(CHAINS.nets, { inInterface: br, outInterface: { not: br }, target: { type: 'ACCEPT' } }),
    )
  rules.push(f(CHAINS.nets, { outInterface: br, target: { type: 'DROP' } }))
  if (!n.internal) {
    // Host-originated traffic DNATed into the bridge (to 127.0.0.1 with route_localnet when
    // there is no userland proxy) needs a source address the container can answer.
    rules.push({
      table: 'nat',
      chain: CHAINS.post,
      rule: { outInterface: br, srcType: 'LOCAL', target: { type: 'MASQUERADE' } },
    })
    if (n.masquerade) {
      for (const s of n.subnets) {
        rules.push({
          table: 'nat',
          chain: CHAINS.post,
          rule: { source: s, outInterface: { not: br }, target: { type: 'MASQUERADE' } },
        })
      }
    }
  }
  return rules
}
