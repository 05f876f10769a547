/**
 * Answers for the names the record source owns, encoded once with dns-packet (the resolver
 * caches them). `undefined` means "not ours": the query is forwarded.
 */
import { createRequire } from 'node:module'
import type * as DnsPacket from 'dns-packet'
import { IP } from '@libnetwork/types'
import type { HostAnswer, RecordSource } from './records.js'
import {
  FLAG_AA,
  FLAG_QR,
  FLAG_RA,
  OPT_RR,
  RCODE_NOERROR,
  RCODE_NXDOMAIN,
  type EncodedAnswer,
} from './wire.js'

// dns-packet is CommonJS. Loaded with require, not import: going through the ESM loader's
// CommonJS translation costs a long-running process 6-9 MiB more RSS (measured on Node 20).
const dnsPacket = createRequire(import.meta.url)('dns-packet') as typeof DnsPacket

export const TYPE_A = 1
export const TYPE_PTR = 12
export const TYPE_AAAA = 28
export const TYPE_SRV = 33

type Answer = DnsPacket.Answer

function rotate<T>(list: readonly T[], by: number): T[] {
  if (list.length < 2) return [...list]
  const k = by % list.length
  return [...list.slice(k), ...list.slice(0, k)]
}

function encode(
  rcode: number,
  answers: Answer[],
  additionals: Answer[],
  edns: boolean,
): EncodedAnswer {
  const packet = dnsPacket.encode({
    type: 'response',
    id: 0,
    flags: 0,
    questions: [],
    answers,
    additionals,
  })
  const body = packet.subarray(12)
  return {
    flags: FLAG_QR | FLAG_AA | FLAG_RA | rcode,
    an: answers.length,
    ns: 0,
    ar: additionals.length + (edns ? 1 : 0),
    sections: edns ? Buffer.concat([body, OPT_RR]) : Buffer.from(body),
  }
}

function addresses(
  name: string,
  host: { ipv4: readonly string[]; ipv6: readonly string[] },
  qtype: number,
  ttl: number,
): Answer[] {
  if (qtype === TYPE_A) return host.ipv4.map((data) => ({ type: 'A', name, ttl, data }))
  return host.ipv6.map((data) => ({ type: 'AAAA', name, ttl, data }))
}

/** `4.3.2.1.in-addr.arpa` → `1.2.3.4`; nibble `ip6.arpa` → canonical IPv6; else undefined. */
export function reverseToAddress(name: string): string | undefined {
  let text: string
  if (name.endsWith('.in-addr.arpa')) {
    const parts = name.slice(0, -13).split('.')
    if (parts.length !== 4) return undefined
    text = parts.reverse().join('.')
  } else if (name.endsWith('.ip6.arpa')) {
    const nibbles = name.slice(0, -9).split('.')
    if (nibbles.length !== 32 || !nibbles.every((x) => /^[0-9a-f]$/.test(x))) return undefined
    const hex = nibbles.reverse().join('')
    text = hex.match(/.{4}/g)!.join(':')
  } else return undefined
  return IP.isValid(text) ? IP.parse(text).toString() : undefined
}

/**
 * The local answer to `name`/`qtype`, or undefined to forward. `rotation` picks the order of
 * round-robin answers; `rotating` in the result says whether the answer depends on it.
 */
export function localAnswer(
  source: RecordSource,
  name: string,
  qtype: number,
  edns: boolean,
  ttl: number,
  rotation: number,
): (EncodedAnswer & { rotating: boolean }) | undefined {
  const done = (a: EncodedAnswer, rotating = false) => ({ ...a, rotating })
  if (qtype === TYPE_PTR) {
    const address = reverseToAddress(name)
    if (address === undefined) return undefined
    const names = source.lookupAddress(address)
    if (names === undefined) return undefined
    if (names === 'nxdomain') return done(encode(RCODE_NXDOMAIN, [], [], edns))
    const answers: Answer[] = names.map((data) => ({ type: 'PTR', name, ttl, data }))
    return done(encode(RCODE_NOERROR, answers, [], edns))
  }
  const host = source.lookupName(name)
  const srv =
    qtype === TYPE_SRV || typeof host !== 'object' ? source.lookupService(name) : undefined
  if (qtype === TYPE_SRV && typeof srv === 'object') {
    const answers: Answer[] = srv.records.map((r) => ({
      type: 'SRV',
      name,
      ttl,
      data: { target: r.target, port: r.port, priority: r.priority, weight: r.weight },
    }))
    const additionals = srv.additional.flatMap((h) => [
      ...addresses(h.name, h, TYPE_A, ttl),
      ...addresses(h.name, h, TYPE_AAAA, ttl),
    ])
    return done(encode(RCODE_NOERROR, answers, additionals, edns))
  }
  if (typeof host === 'object') {
    if (qtype !== TYPE_A && qtype !== TYPE_AAAA) return done(encode(RCODE_NOERROR, [], [], edns))
    const h: HostAnswer = host.roundRobin
      ? { ipv4: rotate(host.ipv4, rotation), ipv6: rotate(host.ipv6, rotation), roundRobin: true }
      : host
    return done(encode(RCODE_NOERROR, addresses(name, h, qtype, ttl), [], edns), host.roundRobin)
  }
  if (typeof srv === 'object') return done(encode(RCODE_NOERROR, [], [], edns)) // NODATA
  if (host === 'nxdomain' || srv === 'nxdomain') return done(encode(RCODE_NXDOMAIN, [], [], edns))
  return undefined
}
