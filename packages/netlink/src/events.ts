/**
 * Link, address, route and neighbour change notifications (rtnetlink multicast groups)
 * as an async iterable. The socket joins its groups when `subscribe` is called, so no change
 * made after that call is missed; waiting happens in `poll(2)` on the libuv thread pool.
 */
import { BadRequestError } from '@libnetwork/types'
import { type Address, decodeAddr } from './addr.js'
import { RTM, RTMGRP } from './constants.js'
import { libc } from './ffi.js'
import { type Link, decodeLink } from './link.js'
import { type Neighbor, decodeNeigh } from './neigh.js'
import type { NetnsOptions, NetnsRef } from './netns.js'
import { type Route, decodeRoute } from './route.js'
import { NetlinkSocket } from './socket.js'
import type { NetlinkMessage } from './codec.js'

export type EventGroup = 'link' | 'address' | 'route' | 'neighbor'

export interface EventOptions {
  /** Which changes to receive (default: link and address). */
  groups?: EventGroup[]
  /** Stops the stream (the iterator finishes) within `pollMs`. */
  signal?: AbortSignal
  /** Longest wait before the stream re-checks `signal`, ms (default 200). */
  pollMs?: number
}

export type EventAction = 'new' | 'del'

export type NetlinkEvent =
  | { type: 'link'; action: EventAction; link: Link }
  | { type: 'address'; action: EventAction; address: Address }
  | { type: 'route'; action: EventAction; route: Route }
  | { type: 'neighbor'; action: EventAction; neighbor: Neighbor }

const GROUP_BITS: Record<EventGroup, number> = {
  link: RTMGRP.LINK,
  address: RTMGRP.IPV4_IFADDR | RTMGRP.IPV6_IFADDR,
  route: RTMGRP.IPV4_ROUTE | RTMGRP.IPV6_ROUTE,
  neighbor: RTMGRP.NEIGH,
}

/** Turn one notification into a typed event (undefined for messages of no interest). */
export function decodeEvent(m: NetlinkMessage): NetlinkEvent | undefined {
  switch (m.type) {
    case RTM.NEWLINK:
    case RTM.DELLINK:
      return { type: 'link', action: m.type === RTM.NEWLINK ? 'new' : 'del', link: decodeLink(m) }
    case RTM.NEWADDR:
    case RTM.DELADDR: {
      const address = decodeAddr(m)
      return address && { type: 'address', action: m.type === RTM.NEWADDR ? 'new' : 'del', address }
    }
    case RTM.NEWROUTE:
    case RTM.DELROUTE: {
      const route = decodeRoute(m)
      return route && { type: 'route', action: m.type === RTM.NEWROUTE ? 'new' : 'del', route }
    }
    case RTM.NEWNEIGH:
    case RTM.DELNEIGH: {
      const neighbor = decodeNeigh(m)
      return (
        neighbor && { type: 'neighbor', action: m.type === RTM.NEWNEIGH ? 'new' : 'del', neighbor }
      )
    }
    default:
      return undefined
  }
}

function pollOnce(fd: number, ms: number): Promise<number> {
  const pfd = Buffer.alloc(8)
  pfd.writeInt32LE(fd, 0)
  pfd.writeInt16LE(1 /* POLLIN */, 4)
  return new Promise((resolve, reject) => {
    libc().poll.async(pfd, 1, ms, (err, n) =>
      err
        ? reject(err instanceof Error ? err : new Error('poll failed', { cause: err }))
        : resolve(n),
    )
  })
}

/** Subscribe to changes in `options.netns` (default: the calling thread's namespace). */
export function subscribe(
  options: EventOptions & NetnsOptions & { netns?: NetnsRef | undefined } = {},
): AsyncIterable<NetlinkEvent> {
  const groups = options.groups ?? ['link', 'address']
  let bits = 0
  for (const g of groups) {
    const b = GROUP_BITS[g]
    if (b === undefined) {
      throw new BadRequestError('invalid-event-group', `unknown event group ${JSON.stringify(g)}`, {
        details: { group: g },
      })
    }
    bits |= b
  }
  const sock = NetlinkSocket.open({ ...options, groups: bits })
  const pollMs = options.pollMs ?? 200
  const signal = options.signal
  async function* run(): AsyncGenerator<NetlinkEvent> {
    try {
      while (!signal?.aborted) {
        const batch = sock.receive(true)
        if (batch === undefined) {
          await pollOnce(sock.fd, pollMs)
          continue
        }
        for (const m of batch) {
          const e = decodeEvent(m)
          if (e) yield e
        }
      }
    } finally {
      sock.close()
    }
  }
  let used = false
  return {
    [Symbol.asyncIterator]() {
      if (used)
        throw new BadRequestError('already-iterated', 'an event stream can be iterated once')
      used = true
      return run()
    },
  }
}
