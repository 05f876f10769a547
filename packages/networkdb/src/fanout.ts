/** Pure helpers of the cluster layer: who forwards a packet, random picks. */
import { randomInt } from 'node:crypto'

/** Owner and network of the table events in one packet (null when mixed). */
export interface Seen {
  owner?: string | null
  network?: string | null
  tableOnly?: boolean
}

/** FNV-1a hash of a string. */
export function fnv(s: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0
  return h
}

/** Bytes a compound part costs beyond its payload (two tags and two length varints). */
export const PART_OVERHEAD = 6
/** Memberlist user type byte, CRC header, NetworkDB envelope and compound headers. */
export const PACKET_OVERHEAD = 16

/**
 * Who forwards an owner's packets: the network's other members (sorted, rotated by the owner
 * so load spreads) cut into `fanout` groups; the owner sends to each group's head and the head
 * forwards to the rest of its group. Up to `fanout` members, each is its own group.
 */
export function groups(members: readonly string[], owner: string, fanout: number): string[][] {
  const sorted = [...members].sort()
  if (fanout <= 0 || sorted.length <= fanout) return sorted.map((m) => [m])
  const off = fnv(owner) % sorted.length
  const rot = [...sorted.slice(off), ...sorted.slice(0, off)]
  const out: string[][] = []
  for (let i = 0; i < fanout; i++) {
    out.push(
      rot.slice(Math.floor((i * rot.length) / fanout), Math.floor(((i + 1) * rot.length) / fanout)),
    )
  }
  return out
}

/** Up to `k` distinct random items. */
export function pick<T>(items: readonly T[], k: number): T[] {
  const a = [...items]
  for (let i = 0; i < Math.min(k, a.length); i++) {
    const j = i + randomInt(a.length - i)
    ;[a[i], a[j]] = [a[j]!, a[i]!]
  }
  return a.slice(0, k)
}
