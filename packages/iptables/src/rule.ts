import { BadRequestError, IP, IPNet } from '@libnetwork/types'

/** The tables this package manages. */
export type Table = 'filter' | 'nat' | 'raw' | 'mangle'
export const TABLES: readonly Table[] = Object.freeze(['filter', 'nat', 'raw', 'mangle'])

export type Family = 4 | 6

export type RuleProtocol = 'tcp' | 'udp' | 'sctp' | 'icmp' | 'icmpv6' | 'all'

/** A value, or the same value negated (`! -i docker0`). */
export type Negatable<T> = T | { not: T }

/** A single port or an inclusive range. */
export type PortSpec = number | { start: number; end: number }

export type AddrType = 'LOCAL' | 'UNICAST' | 'BROADCAST' | 'MULTICAST' | 'ANYCAST' | 'UNSPEC'
export type CtState = 'NEW' | 'ESTABLISHED' | 'RELATED' | 'INVALID' | 'UNTRACKED' | 'DNAT' | 'SNAT'

/** What a rule does when it matches. */
export type Target =
  | { type: 'ACCEPT' | 'DROP' | 'RETURN' | 'MASQUERADE' }
  | { type: 'REJECT' }
  | { type: 'jump'; chain: string }
  | { type: 'goto'; chain: string }
  | { type: 'DNAT'; to: IP; port?: PortSpec }
  | { type: 'SNAT'; to: IP; port?: PortSpec }

/**
 * A rule as typed values. Matches are emitted in a fixed order, so equal rules produce equal
 * argv (which `-C` and `-D` rely on).
 */
export interface Rule {
  protocol?: Negatable<RuleProtocol>
  source?: Negatable<IP | IPNet>
  destination?: Negatable<IP | IPNet>
  inInterface?: Negatable<string>
  outInterface?: Negatable<string>
  sourcePort?: Negatable<PortSpec>
  destinationPort?: Negatable<PortSpec>
  /** `-m addrtype --dst-type …` */
  dstType?: Negatable<AddrType>
  srcType?: Negatable<AddrType>
  /** `-m conntrack --ctstate …` */
  ctstate?: CtState[]
  /** `-m comment --comment …`: letters, digits, space and `_ . , : ; / = + @ # -`. */
  comment?: string
  target: Target
}

/** A rule and the table and chain it sits in. */
export interface PlacedRule {
  table: Table
  chain: string
  rule: Rule
}

const CHAIN = /^[A-Za-z0-9_.-]{1,28}$/
const IFACE = /^[A-Za-z0-9_.@+-]{1,15}$/
const COMMENT = /^[A-Za-z0-9 _.,:;/=+@#-]{1,256}$/
const PROTOCOLS = new Set(['tcp', 'udp', 'sctp', 'icmp', 'icmpv6', 'all'])
const ADDRTYPES = new Set(['LOCAL', 'UNICAST', 'BROADCAST', 'MULTICAST', 'ANYCAST', 'UNSPEC'])
const CTSTATES = new Set(['NEW', 'ESTABLISHED', 'RELATED', 'INVALID', 'UNTRACKED', 'DNAT', 'SNAT'])

function bad(code: string, message: string, value: unknown): never {
  throw new BadRequestError(code, message, { details: { value: String(value) } })
}

export function checkTable(table: string): Table {
  if (!(TABLES as readonly string[]).includes(table)) {
    bad(
      'invalid-table',
      `unknown table ${JSON.stringify(table)}: expected filter, nat, raw or mangle`,
      table,
    )
  }
  return table as Table
}

/** Chain names: 1-28 of letters, digits, `_ . -` (no spaces, quotes or shell characters). */
export function checkChain(chain: string): string {
  if (typeof chain !== 'string' || !CHAIN.test(chain)) {
    bad(
      'invalid-chain',
      `invalid chain name ${JSON.stringify(chain)}: 1-28 of A-Z a-z 0-9 _ . -`,
      chain,
    )
  }
  return chain
}

function checkIface(name: string): string {
  if (typeof name !== 'string' || !IFACE.test(name) || name === '.' || name === '..') {
    bad('invalid-interface', `invalid interface name ${JSON.stringify(name)}`, name)
  }
  return name
}

function checkPort(p: PortSpec): string {
  const ok = (n: unknown) => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535
  if (typeof p === 'number') {
    if (!ok(p)) bad('invalid-port', `invalid port ${String(p)}`, p)
    return String(p)
  }
  if (typeof p !== 'object' || p === null || !ok(p.start) || !ok(p.end) || p.start > p.end) {
    bad('invalid-port', `invalid port range ${JSON.stringify(p)}`, JSON.stringify(p))
  }
  return `${p.start}:${p.end}`
}

function unwrap<T>(v: Negatable<T>): [boolean, T] {
  if (typeof v === 'object' && v !== null && 'not' in v && Object.keys(v).length === 1) {
    return [true, v.not]
  }
  return [false, v as T]
}

function addr(v: IP | IPNet, family: Family): string {
  if (!(v instanceof IP) && !(v instanceof IPNet)) {
    bad('invalid-address', 'addresses must be IP or IPNet values', v)
  }
  if (v.version !== family) {
    bad('family-mismatch', `${v.toString()} is not IPv${family}`, v.toString())
  }
  return v instanceof IP ? `${v.toString()}/${v.bits}` : v.toString()
}

function pushOpt<T>(
  out: string[],
  flag: string,
  v: Negatable<T> | undefined,
  fmt: (x: T) => string,
) {
  if (v === undefined) return
  const [neg, x] = unwrap(v)
  if (neg) out.push('!')
  out.push(flag, fmt(x))
}

/** The argv tokens of a rule's matches and target (without `-A chain`). */
export function ruleArgs(rule: Rule, family: Family): string[] {
  if (typeof rule !== 'object' || rule === null)
    bad('invalid-rule', 'a rule must be an object', rule)
  const out: string[] = []
  let proto: string | undefined
  if (rule.protocol !== undefined) {
    const [neg, p] = unwrap(rule.protocol)
    if (!PROTOCOLS.has(p)) bad('invalid-protocol', `unknown protocol ${JSON.stringify(p)}`, p)
    if (neg) out.push('!')
    out.push('-p', p)
    if (!neg) proto = p
  }
  pushOpt(out, '-s', rule.source, (x) => addr(x, family))
  pushOpt(out, '-d', rule.destination, (x) => addr(x, family))
  pushOpt(out, '-i', rule.inInterface, checkIface)
  pushOpt(out, '-o', rule.outInterface, checkIface)
  if (rule.sourcePort !== undefined || rule.destinationPort !== undefined) {
    if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') {
      bad('invalid-rule', 'ports need protocol tcp, udp or sctp', proto)
    }
    out.push('-m', proto)
    pushOpt(out, '--sport', rule.sourcePort, checkPort)
    pushOpt(out, '--dport', rule.destinationPort, checkPort)
  }
  if (rule.dstType !== undefined || rule.srcType !== undefined) {
    out.push('-m', 'addrtype')
    const t = (x: AddrType) =>
      ADDRTYPES.has(x) ? x : bad('invalid-addrtype', `bad addrtype ${String(x)}`, x)
    pushOpt(out, '--src-type', rule.srcType, t)
    pushOpt(out, '--dst-type', rule.dstType, t)
  }
  if (rule.ctstate !== undefined) {
    if (!Array.isArray(rule.ctstate) || rule.ctstate.length === 0) {
      bad('invalid-ctstate', 'ctstate must be a non-empty array', rule.ctstate)
    }
    for (const s of rule.ctstate)
      if (!CTSTATES.has(s)) bad('invalid-ctstate', `bad ctstate ${String(s)}`, s)
    out.push('-m', 'conntrack', '--ctstate', rule.ctstate.join(','))
  }
  if (rule.comment !== undefined) {
    if (typeof rule.comment !== 'string' || !COMMENT.test(rule.comment)) {
      bad(
        'invalid-comment',
        `comment ${JSON.stringify(rule.comment)} has characters outside [A-Za-z0-9 _.,:;/=+@#-]`,
        rule.comment,
      )
    }
    out.push('-m', 'comment', '--comment', rule.comment)
  }
  out.push(...targetArgs(rule.target, family))
  return out
}

function targetArgs(target: Target, family: Family): string[] {
  if (typeof target !== 'object' || target === null)
    bad('invalid-target', 'a rule needs a target', target)
  switch (target.type) {
    case 'ACCEPT':
    case 'DROP':
    case 'RETURN':
    case 'MASQUERADE':
    case 'REJECT':
      return ['-j', target.type]
    case 'jump':
      return ['-j', checkChain(target.chain)]
    case 'goto':
      return ['-g', checkChain(target.chain)]
    case 'DNAT':
    case 'SNAT': {
      if (!(target.to instanceof IP))
        bad('invalid-address', `${target.type} needs an IP value`, target.to)
      if (target.to.version !== family)
        bad('family-mismatch', `${target.to.toString()} is not IPv${family}`, target.to)
      let to =
        family === 6 && target.port !== undefined
          ? `[${target.to.toString()}]`
          : target.to.toString()
      if (target.port !== undefined) to += `:${checkPort(target.port).replace(':', '-')}`
      return ['-j', target.type, target.type === 'DNAT' ? '--to-destination' : '--to-source', to]
    }
    default:
      return bad(
        'invalid-target',
        `unknown target ${JSON.stringify(target)}`,
        JSON.stringify(target),
      )
  }
}

/** One token for an iptables-restore line: tokens with spaces are double-quoted. */
export function restoreToken(token: string): string {
  if (/^[A-Za-z0-9_.,:;/=+@#![\]-]+$/.test(token)) return token
  if (/["'\\\n\r\t]/.test(token))
    bad('invalid-token', `token ${JSON.stringify(token)} cannot be written safely`, token)
  return `"${token}"`
}
