/** Option and result types of sandboxes. */
import type { IP, InterfaceAddress, StaticRoute } from '@libnetwork/types'

export interface InterfaceOptions {
  /** The interface in the host namespace to move in (e.g. the container end of a veth pair). */
  srcName: string
  /**
   * `srcName` was created inside the sandbox already (a driver made the veth with its end
   * there): rename and configure it in place. Removing it deletes it.
   */
  inSandbox?: boolean
  /** Name prefix inside the sandbox: `eth` gives eth0, eth1, … (default `eth`). */
  dstPrefix?: string
  /** An exact name inside the sandbox (instead of prefix + number). */
  dstName?: string
  mac?: string
  mtu?: number
  /** IPv4 and IPv6 addresses with their prefix lengths. */
  addresses?: InterfaceAddress[]
  /** Bring the interface up (default true). */
  up?: boolean
}

/** An interface plus the gateways and routes that go with it. */
export interface JoinOptions extends InterfaceOptions {
  gateway?: IP
  gatewayV6?: IP
  /** Static routes; without `interface` they use the joined one. */
  routes?: SandboxRoute[]
}

export interface SandboxInterface {
  name: string
  /** Its name in the host namespace before it was moved in (unknown after a restore). */
  srcName?: string
  index: number
  mac?: string
  mtu: number
  up: boolean
  addresses: InterfaceAddress[]
}

/**
 * A static route in the sandbox: the shared `StaticRoute` of `@libnetwork/types` (a `nexthop`
 * route goes through `nextHop`, a `connected` one straight out of the interface), optionally
 * pinned to an interface.
 */
export interface SandboxRoute extends StaticRoute {
  /** Output interface name inside the sandbox. */
  interface?: string
  /** Take `nextHop` as directly reachable on the interface. */
  onLink?: boolean
}

export interface NeighborEntry {
  ip: IP
  mac: string
  interface: string
}

export interface SandboxInfo {
  key: string
  path: string
  interfaces: SandboxInterface[]
  gateway?: IP
  gatewayV6?: IP
  routes: SandboxRoute[]
  neighbors: NeighborEntry[]
}

/** A veth pair made for the sandbox: the host end in the host namespace, the other inside. */
export interface VethJoinOptions extends Omit<JoinOptions, 'srcName'> {
  /** Name of the host end. */
  hostName: string
  /** Bridge (in the host namespace) to attach the host end to. */
  master?: string
}
