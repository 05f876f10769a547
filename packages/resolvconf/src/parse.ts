/**
 * The resolv.conf model, its parser and its formatter.
 *
 * Parsing is lenient, as the C library is: host files are written by other tools, so a line
 * we do not understand is kept in `other` rather than rejected. Values that come from a user
 * (overrides) go through the strict validators in `build.ts`.
 */
import { IP } from '@libnetwork/types'

/** A parsed resolv.conf. */
export interface ResolvConf {
  /** `nameserver` lines whose address parses, in file order. */
  nameservers: IP[]
  /** Search domains of the last `search` (or `domain`) line, without trailing dots. */
  search: string[]
  /** Options of every `options` line, in order (`ndots:1`, `edns0`, …). */
  options: string[]
  /** Lines kept verbatim: comments, `sortlist`, unknown keywords, unparsable nameservers. */
  other: string[]
}

/** An empty configuration. */
export function emptyResolvConf(): ResolvConf {
  return { nameservers: [], search: [], options: [], other: [] }
}

function stripZone(text: string): string {
  // glibc accepts `fe80::1%eth0`; the zone does not matter for our filtering.
  const pct = text.indexOf('%')
  return pct < 0 ? text : text.slice(0, pct)
}

/** Parse resolv.conf text. Never throws: unknown or broken lines land in `other`. */
export function parseResolvConf(text: string): ResolvConf {
  const conf = emptyResolvConf()
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '')
    const trimmed = line.trim()
    if (trimmed === '') continue
    if (trimmed.startsWith('#') || trimmed.startsWith(';')) {
      conf.other.push(line)
      continue
    }
    const fields = trimmed.split(/\s+/)
    const [keyword, ...args] = fields
    switch (keyword) {
      case 'nameserver': {
        const value = args.length === 1 && args[0] !== undefined ? stripZone(args[0]) : ''
        if (IP.isValid(value)) conf.nameservers.push(IP.parse(value))
        else conf.other.push(line)
        break
      }
      case 'search':
      case 'domain':
        // The last of `search` and `domain` wins, as in glibc.
        conf.search = args.map((d) => d.replace(/\.$/, '')).filter((d) => d !== '')
        break
      case 'options':
        conf.options.push(...args)
        break
      default:
        conf.other.push(line)
    }
  }
  return conf
}

/** Options: later ones replace earlier ones with the same name (`ndots:1` then `ndots:5`). */
export function mergeOptions(...lists: string[][]): string[] {
  const byName = new Map<string, string>()
  for (const list of lists) {
    for (const opt of list) {
      const name = opt.split(':')[0] ?? opt
      byName.delete(name)
      byName.set(name, opt)
    }
  }
  return [...byName.values()]
}

/** Format a configuration as resolv.conf text (ending in a newline). */
export function formatResolvConf(conf: ResolvConf, options: { header?: string } = {}): string {
  const lines: string[] = []
  if (options.header !== undefined) {
    for (const l of options.header.split('\n')) lines.push(`# ${l}`.trimEnd())
  }
  for (const l of conf.other) lines.push(l)
  for (const ns of conf.nameservers) lines.push(`nameserver ${ns.toString()}`)
  if (conf.search.length > 0) lines.push(`search ${conf.search.join(' ')}`)
  const opts = mergeOptions(conf.options)
  if (opts.length > 0) lines.push(`options ${opts.join(' ')}`)
  return lines.join('\n') + '\n'
}
