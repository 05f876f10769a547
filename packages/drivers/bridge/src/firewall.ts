import { RuleSet, type Iptables, type Rule, type Table } from '@libnetwork/iptables'
import type { IPNet } from '@libnetwork/types'
import type { BoundPort } from '@libnetwork/driverapi'

/** A rule placed in one of the driver's own chains. */
export interface PlacedRule {
  table: Table
  chain: string
  rule: Rule
}

export const CHAINS = {
  forward: 'LN-FORWARD',
  iso1: 'LN-ISOLATION-1',
  iso2: 'LN-ISOLATION-2',
  ports: 'LN-PORTS',
  nets: 'LN-NETWORKS',
  dnat: 'LN-DNAT',
  post: 'LN-POSTROUTING',
} as const

/** The chains and anchors of the bridge driver (one rule set per address family). */
export function bridgeRuleSet(ipt: Iptables): RuleSet {
  const jump = (chain: string): Rule => ({ target: { type: 'jump', chain } })
  const rs = new RuleSet(ipt)
    .ownChain('filter', CHAINS.forward)
    .ownChain('filter', CHAINS.iso1)
    .ownChain('filter', CHAINS.iso2)
    .ownChain('filter', CHAINS.ports)
    .ownChain('filter', CHAINS.nets)
    .ownChain('nat', CHAINS.dnat)
    .ownChain('nat', CHAINS.post)
    .anchor({ table: 'filter', chain: 'FORWARD', rule: jump(CHAINS.forward) })
    .anchor({
      table: 'nat',
      chain: 'PREROUTING',
      rule: { dstType: 'LOCAL', target: { type: 'jump', chain: CHAINS.dnat } },
    })
    .anchor({
      table: 'nat',
      chain: 'OUTPUT',
      rule: { dstType: 'LOCAL', target: { type: 'jump', chain: CHAINS.dnat } },
    })
    .anchor({ table: 'nat', chain: 'POSTROUTING', rule: jump(CHAINS.post) })
  return rs
}

/** The fixed content of LN-FORWARD: isolation first, then published ports, then networks. */
export function baseRules(): PlacedRule[] {
  const j = (chain: string): PlacedRule => ({
    table: 'filter',
    chain: CHAINS.forward,
    rule: { target: { type: 'jump', chain } },
  })
  return [j(CHAINS.iso1), j(CHAINS.ports), j(CHAINS.nets)]
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
    // Host-originated traffic to published ports on 127.0.0.1 (route_localnet) needs a source
    // address the container can answer.
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

/** The rules of one published port: DNAT, the filter accept, and hairpin masquerade. */
export function portRules(bridge: string, p: BoundPort): PlacedRule[] {
  const proto = p.protocol
  const dnat: Rule = {
    protocol: proto,
    ...(p.hostIP.isUnspecified() ? {} : { destination: p.hostIP }),
    destinationPort: p.hostPort,
    target: { type: 'DNAT', to: p.containerIP, port: p.port },
  }
  return [
    { table: 'nat', chain: CHAINS.dnat, rule: dnat },
    {
      table: 'filter',
      chain: CHAINS.ports,
      rule: {
        protocol: proto,
        destination: p.containerIP,
        inInterface: { not: bridge },
        outInterface: bridge,
        destinationPort: p.port,
        target: { type: 'ACCEPT' },
      },
    },
    {
      table: 'nat',
      chain: CHAINS.post,
      rule: {
        protocol: proto,
        source: p.containerIP,
        destination: p.containerIP,
        destinationPort: p.port,
        target: { type: 'MASQUERADE' },
      },
    },
  ]
}
