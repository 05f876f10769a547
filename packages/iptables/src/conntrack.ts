import { BadRequestError, IP, InternalError, type Protocol } from '@libnetwork/types'
import { execRunner, type Runner } from './runner.js'

export interface ConntrackFilter {
  protocol: Protocol
  /** Original destination address (the published host address). */
  destination?: IP
  /** Original destination port (the published host port). */
  destinationPort?: number
  family?: 4 | 6
}

/**
 * Delete conntrack entries matching a published port (`conntrack -D`), so flows of a removed
 * mapping (long-lived UDP above all) stop using the old DNAT. Returns how many were deleted.
 */
export async function deleteConntrackEntries(
  filter: ConntrackFilter,
  options: { runner?: Runner; netns?: string } = {},
): Promise<number> {
  const runner =
    options.runner ?? execRunner(options.netns === undefined ? {} : { netns: options.netns })
  if (!['tcp', 'udp', 'sctp'].includes(filter.protocol)) {
    throw new BadRequestError('invalid-protocol', `conntrack protocol must be tcp, udp or sctp`, {
      details: { protocol: String(filter.protocol) },
    })
  }
  const family = filter.family ?? filter.destination?.version ?? 4
  const args = ['conntrack', '-D', '-f', family === 6 ? 'ipv6' : 'ipv4', '-p', filter.protocol]
  if (filter.destination !== undefined) {
    if (!(filter.destination instanceof IP) || filter.destination.version !== family) {
      throw new BadRequestError('invalid-address', 'destination must be an IP of the family')
    }
    args.push('--orig-dst', filter.destination.toString())
  }
  if (filter.destinationPort !== undefined) {
    const p = filter.destinationPort
    if (!Number.isInteger(p) || p < 1 || p > 65535) {
      throw new BadRequestError('invalid-port', `invalid port ${String(p)}`, {
        details: { port: p },
      })
    }
    args.push('--dport', String(p))
  }
  const r = await runner.run(args)
  const m = /(\d+) flow entries have been deleted/.exec(r.stderr + r.stdout)
  if (m) return Number(m[1])
  if (r.code === 0) return 0
  throw new InternalError('conntrack-failed', `conntrack -D failed: ${r.stderr.trim()}`, {
    details: { args, stderr: r.stderr.trim() },
  })
}
