/**
 * Values of the network model that several layers share: published and exposed ports, and
 * static routes. Declared once here, the lowest package every layer imports.
 */
import type { IP, IPNet } from './ip.js'

/** A transport protocol of an exposed, published or allocated port. */
export type Protocol = 'tcp' | 'udp' | 'sctp'

/** Every `Protocol`, in a fixed order. */
export const PROTOCOLS: readonly Protocol[] = Object.freeze(['tcp', 'udp', 'sctp'] as const)

/** An inclusive range of ports. */
export interface PortRange {
  start: number
  end: number
}

/** A container port other containers may reach (upstream's TransportPort). */
export interface ExposedPort {
  protocol: Protocol
  port: number
}

/** A published port: traffic to `hostIP:hostPort` (or a range) goes to the container's `port`. */
export interface PortBinding {
  protocol: Protocol
  /** The container port. */
  port: number
  /** The host address to bind; unspecified means every address. */
  hostIP?: IP
  /** The host port, or the first of a range; 0 or absent means "pick one". */
  hostPort?: number
  /** The last host port of a range (inclusive). */
  hostPortEnd?: number
}

/** `nexthop`: through `nextHop`; `connected`: straight out of the interface. */
export type RouteType = 'nexthop' | 'connected'

/** A route a driver asks for inside a sandbox (upstream's StaticRoute). */
export interface StaticRoute {
  destination: IPNet
  routeType: RouteType
  nextHop?: IP
}
