/**
 * The narrow kernel interface the OS layer needs. The real one is @libnetwork/netlink; tests
 * wrap it to inject failures, and layers above may hand in a fake.
 */
import {
  Netlink,
  type Address,
  type Link,
  type LinkRef,
  type LinkSpec,
  type LinkUpdate,
  type NeighborInput,
  type NetnsRef,
  type Route,
  type RouteInput,
} from '@libnetwork/netlink'
import type { InterfaceAddress } from '@libnetwork/types'

/** What a sandbox does to one namespace. Methods mirror @libnetwork/netlink's client. */
export interface NetlinkOps {
  links(): Link[]
  link(ref: LinkRef): Link
  findLink(ref: LinkRef): Link | undefined
  createLink(spec: LinkSpec): void
  setLink(ref: LinkRef, update: LinkUpdate): void
  deleteLink(ref: LinkRef): void
  addresses(filter?: { link?: LinkRef; family?: 4 | 6 }): Address[]
  addAddress(link: LinkRef, address: InterfaceAddress, options?: { noDad?: boolean }): void
  deleteAddress(link: LinkRef, address: InterfaceAddress): void
  routes(filter?: { family?: 4 | 6; table?: number; oif?: LinkRef }): Route[]
  addRoute(route: RouteInput): void
  deleteRoute(route: RouteInput): void
  addNeighbor(n: NeighborInput): void
  deleteNeighbor(n: Omit<NeighborInput, 'mac'> & { mac?: string }): void
  close(): void
}

/** Opens NetlinkOps inside a namespace (undefined: the calling thread's). */
export type NetlinkFactory = (
  netns: NetnsRef | undefined,
  options: { runDir?: string },
) => NetlinkOps

export const realNetlink: NetlinkFactory = (netns, options) =>
  Netlink.open({ ...(netns === undefined ? {} : { netns }), ...options })
