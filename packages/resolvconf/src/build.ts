/**
 * Filtering a host's resolv.conf and building a container's from it plus user overrides.
 */
import { BadRequestError, IP } from '@libnetwork/types'
import { mergeOptions, type ResolvConf } from './parse.js'

/** Public resolvers used when filtering leaves no nameserver (as upstream libnetwork does). */
export const DEFAULT_IPV4_NAMESERVERS: readonly IP[] = Object.freeze([
  IP.parse('8.8.8.8'),
  IP.parse('8.8.4.4'),
])
export const DEFAULT_IPV6_NAMESERVERS: readonly IP[] = Object.freeze([
  IP.parse('2001:4860:4860::8888'),
  IP.parse('2001:4860:4860::8844'),
])

/** The address of the embedded DNS server inside every sandbox. */
export const EMBEDDED_DNS_ADDRESS: IP = IP.parse('127.0.0.11')

export interface FilterResult {
  conf: ResolvConf
  /** Nameservers that were dropped (loopback, or IPv6 with IPv6 off). */
  removed: IP[]
  /** True when nothing was left and the public fallbacks were put in. */
  usedFallback: boolean
}

function isLocalhost(ip: IP): boolean {
  return ip.isLoopback()
}

/**
 * Drop nameservers a container cannot reach: loopback ones (they live in the host's
 * namespace) and IPv6 ones when the container has no IPv6. When none are left, put in the
 * public fallbacks (IPv6 ones only with IPv6 on). The input is not modified.
 */
export function filterNameservers(conf: ResolvConf, options: { ipv6: boolean }): FilterResult {
  const kept: IP[] = []
  const removed: IP[] = []
  for (const ns of conf.nameservers) {
    if (isLocalhost(ns) || (!options.ipv6 && ns.version === 6)) removed.push(ns)
    else kept.push(ns)
  }
  const usedFallback = kept.length === 0
  if (usedFallback) {
    kept.push(...DEFAULT_IPV4_NAMESERVERS)
    if (options.ipv6) kept.push(...DEFAULT_IPV6_NAMESERVERS)
  }
  return { conf: { ...conf, nameservers: kept }, removed, usedFallback }
}

const LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/

/** Check a search domain; throws BadRequestError. `.` (meaning "none") is accepted. */
export function validateSearchDomain(domain: string): string {
  if (typeof domain !== 'string' || domain === '') {
    throw new BadRequestError(
      'invalid-dns-search',
      'a DNS search domain must be a non-empty string',
      {
        details: { value: domain },
      },
    )
  }
  if (domain === '.') return domain
  const name = domain.replace(/\.$/, '')
  if (name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
    throw new BadRequestError(
      'invalid-dns-search',
      `invalid DNS search domain ${JSON.stringify(domain)}`,
      {
        details: { value: domain },
      },
    )
  }
  return name
}

/** Check a resolver option (`ndots:2`, `edns0`, `timeout:1`); throws BadRequestError. */
export function validateOption(option: string): string {
  if (typeof option !== 'string' || !/^[A-Za-z0-9_-]+(?::[A-Za-z0-9_.-]+)?$/.test(option)) {
    throw new BadRequestError(
      'invalid-dns-option',
      `invalid DNS option ${JSON.stringify(option)}`,
      {
        details: { value: option },
      },
    )
  }
  return option
}

function toIP(value: IP | string): IP {
  if (value instanceof IP) return value
  try {
    return IP.parse(value)
  } catch (cause) {
    throw new BadRequestError('invalid-dns', `invalid DNS server ${JSON.stringify(value)}`, {
      details: { value },
      cause,
    })
  }
}

export interface ContainerDNSOptions {
  /** Nameservers chosen by the user; replace the host's. */
  dns?: (IP | string)[]
  /** Search domains chosen by the user; replace the host's. `['.']` means none. */
  dnsSearch?: string[]
  /** Resolver options chosen by the user; replace the host's. */
  dnsOptions?: string[]
  /** Whether the container has IPv6 (host IPv6 nameservers are dropped without). Default true. */
  ipv6?: boolean
  /**
   * Address of the embedded DNS server. When set, the container's only nameserver is this
   * address, `ndots:0` is added unless the user set ndots, and the real nameservers are
   * returned as `upstreams` for the resolver to forward to.
   */
  embeddedDNS?: IP | string
}

export interface ContainerResolvConf {
  /** What goes into the container's /etc/resolv.conf. */
  conf: ResolvConf
  /** Where names the container does not own are resolved (for the embedded resolver). */
  upstreams: IP[]
  /** True when the host had no usable nameserver and the public fallbacks are used. */
  usedFallback: boolean
}

/**
 * Build a container's resolv.conf from the host's and the user's overrides. All overrides
 * are validated first; on bad input a BadRequestError is thrown and nothing is built.
 */
export function buildContainerResolvConf(
  host: ResolvConf,
  options: ContainerDNSOptions = {},
): ContainerResolvConf {
  const ipv6 = options.ipv6 ?? true
  const userDNS = options.dns?.map(toIP)
  let userSearch: string[] | undefined
  if (options.dnsSearch !== undefined) {
    const checked = options.dnsSearch.map(validateSearchDomain)
    if (checked.includes('.') && checked.length > 1) {
      throw new BadRequestError(
        'invalid-dns-search',
        'the DNS search domain "." (none) cannot be combined with other domains',
        { details: { value: options.dnsSearch } },
      )
    }
    userSearch = checked.includes('.') ? [] : checked
  }
  const userOptions = options.dnsOptions?.map(validateOption)
  const embedded = options.embeddedDNS === undefined ? undefined : toIP(options.embeddedDNS)

  let nameservers: IP[]
  let usedFallback = false
  if (userDNS !== undefined && userDNS.length > 0) {
    nameservers = userDNS
  } else {
    const filtered = filterNameservers(host, { ipv6 })
    nameservers = filtered.conf.nameservers
    usedFallback = filtered.usedFallback
  }
  const search = userSearch ?? [...host.search]
  let opts = userOptions ?? [...host.options]
  if (embedded === undefined) {
    return {
      conf: { nameservers, search, options: mergeOptions(opts), other: [] },
      upstreams: nameservers,
      usedFallback,
    }
  }
  if (!opts.some((o) => o.startsWith('ndots:'))) opts = [...opts, 'ndots:0']
  return {
    conf: { nameservers: [embedded], search, options: mergeOptions(opts), other: [] },
    upstreams: nameservers,
    usedFallback,
  }
}
