/**
 * The rtnetlink client: one NETLINK_ROUTE socket bound to one network namespace, with
 * synchronous methods for links, addresses, routes, neighbours and FDB entries.
 */
import { closeSync } from 'node:fs'
import { BadRequestError, type InterfaceAddress, NotFoundError } from '@libnetwork/types'
import { type AddressOptions, type Address, decodeAddr, encodeAddr, encodeGetAddr } from './addr.js'
import { RTM } from './constants.js'
import {
  type Link,
  type LinkChanges,
  type LinkRef,
  type NetnsTarget,
  type RawLinkSpec,
  type VethPeer,
  decodeLink,
  encodeDelLink,
  encodeGetLink,
  encodeNewLink,
  encodeSetLink,
} from './link.js'
import {
  type FdbSpec,
  type Neighbor,
  type NeighborSpec,
  decodeNeigh,
  encodeFdb,
  encodeGetNeigh,
  encodeNeigh,
} from './neigh.js'
import { type NetnsOptions, type NetnsRef, openNetns } from './netns.js'
import { type Route, type RouteSpec, decodeRoute, encodeGetRoute, encodeRoute } from './route.js'
import { NetlinkSocket } from './socket.js'
import { type EventOptions, type NetlinkEvent, subscribe } from './events.js'

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never

/** A new link: like the raw spec, but master/parent by name or index and netns by reference. */
export type LinkSpec = DistributiveOmit<RawLinkSpec, 'master' | 'parent' | 'netns' | 'peer'> & {
  master?: LinkRef
  netns?: NetnsRef
  parent?: LinkRef
  peer?: Omit<VethPeer, 'netns'> & { netns?: NetnsRef }
}

/** Changes to a link; `master: null` releases it from its bridge, `netns` moves it. */
export type LinkUpdate = Omit<LinkChanges, 'master' | 'netns'> & {
  master?: LinkRef | null
  netns?: NetnsRef
}

export type RouteInput = Omit<RouteSpec, 'oif'> & { oif?: LinkRef }
export type NeighborInput = Omit<NeighborSpec, 'index'> & { link: LinkRef }
export type FdbInput = Omit<FdbSpec, 'index'> & { link: LinkRef }

export interface NetlinkOptions extends NetnsOptions {
  /** Work inside this namespace (default: the calling thread's). */
  netns?: NetnsRef
  /** Receive timeout per round trip, ms (default 5000). */
  timeoutMs?: number
}

export class Netlink {
  private readonly sock: NetlinkSocket

  private constructor(
    sock: NetlinkSocket,
    private readonly options: NetlinkOptions,
  ) {
    this.sock = sock
  }

  /** Open a client inside `options.netns` (the socket keeps that namespace for life). */
  static open(options: NetlinkOptions = {}): Netlink {
    return new Netlink(NetlinkSocket.open(options), { ...options })
  }

  /** The namespace this client works in (undefined: the one it was opened in). */
  get netns(): NetnsRef | undefined {
    return this.options.netns
  }

  close(): void {
    this.sock.close()
  }

  // ---- links ----

  links(): Link[] {
    return this.sock
      .dump(encodeGetLink(), 'cannot list links')
      .filter((m) => m.type === RTM.NEWLINK)
      .map(decodeLink)
  }

  /** One link by name or index. Throws NotFoundError. */
  link(ref: LinkRef): Link {
    const [m] = this.sock.request(encodeGetLink(ref), `cannot get link ${JSON.stringify(ref)}`, {
      link: ref,
    })
    if (!m)
      throw new NotFoundError('enodev', `link ${JSON.stringify(ref)} not found`, {
        details: { link: ref },
      })
    return decodeLink(m)
  }

  /** One link, or undefined when it does not exist. */
  findLink(ref: LinkRef): Link | undefined {
    try {
      return this.link(ref)
    } catch (err) {
      if (err instanceof NotFoundError) return undefined
      throw err
    }
  }

  /** The index of a link named or numbered `ref`. */
  index(ref: LinkRef): number {
    if (typeof ref === 'number') return ref
    return this.link(ref).index
  }

  /** Create a link (bridge, veth pair, vxlan, macvlan, ipvlan, vlan, dummy). */
  createLink(spec: LinkSpec): void {
    if (typeof spec !== 'object' || spec === null) {
      throw new BadRequestError('invalid-link', 'a link spec object is required')
    }
    const fds: number[] = []
    try {
      const raw = { ...spec } as Record<string, unknown>
      if (spec.master !== undefined) raw.master = this.index(spec.master)
      if (spec.parent !== undefined) raw.parent = this.index(spec.parent)
      if (spec.netns !== undefined) raw.netns = this.target(spec.netns, fds)
      if (spec.peer?.netns !== undefined)
        raw.peer = { ...spec.peer, netns: this.target(spec.peer.netns, fds) }
      this.sock.request(
        encodeNewLink(raw as unknown as RawLinkSpec),
        `cannot create ${String(spec.kind)} link ${JSON.stringify(spec.name)}`,
        {
          name: spec.name,
          kind: spec.kind,
        },
      )
    } finally {
      for (const fd of fds) closeSync(fd)
    }
  }

  deleteLink(ref: LinkRef): void {
    this.sock.request(encodeDelLink(this.index(ref)), `cannot delete link ${JSON.stringify(ref)}`, {
      link: ref,
    })
  }

  /**
   * Delete a link without blocking this thread. The kernel spends 25-40 ms inside the request
   * (RCU grace periods while unregistering the device); here that wait happens on a libuv pool
   * thread. The link is resolved and a dedicated socket opened in this client's namespace
   * before the call returns, so the namespace may be unmounted meanwhile. Resolves once the
   * kernel has deleted the link.
   */
  async deleteLinkInBackground(ref: LinkRef): Promise<void> {
    const index = this.index(ref)
    const sock = NetlinkSocket.open(this.options)
    try {
      await sock.requestInPool(encodeDelLink(index), `cannot delete link ${JSON.stringify(ref)}`, {
        link: ref,
      })
    } finally {
      sock.close()
    }
  }

  /** Change a link: up/down, MTU, MAC, name, master, namespace, queue length, alias. */
  setLink(ref: LinkRef, update: LinkUpdate): void {
    if (typeof update !== 'object' || update === null) {
      throw new BadRequestError('invalid-link-changes', 'link changes must be an object')
    }
    const fds: number[] = []
    try {
      const changes: LinkChanges = { ...(update as LinkChanges) }
      if (update.master !== undefined)
        changes.master = update.master === null ? 0 : this.index(update.master)
      if (update.netns !== undefined) changes.netns = this.target(update.netns, fds)
      else delete changes.netns
      const w = encodeSetLink(this.index(ref), changes)
      this.sock.request(w, `cannot change link ${JSON.stringify(ref)}`, { link: ref })
    } finally {
      for (const fd of fds) closeSync(fd)
    }
  }

  setUp(ref: LinkRef): void {
    this.setLink(ref, { up: true })
  }

  setDown(ref: LinkRef): void {
    this.setLink(ref, { up: false })
  }

  private target(ns: NetnsRef, fds: number[]): NetnsTarget {
    if (typeof ns === 'object') return ns
    const { fd } = openNetns(ns, this.options)
    fds.push(fd)
    return { fd }
  }

  // ---- addresses ----

  addresses(filter: { link?: LinkRef; family?: 4 | 6 } = {}): Address[] {
    const index = filter.link === undefined ? undefined : this.index(filter.link)
    return this.sock
      .dump(encodeGetAddr(filter.family), 'cannot list addresses')
      .filter((m) => m.type === RTM.NEWADDR)
      .map(decodeAddr)
      .filter((a): a is Address => a !== undefined && (index === undefined || a.index === index))
  }

  addAddress(link: LinkRef, address: InterfaceAddress, options?: AddressOptions): void {
    this.addrOp('add', link, address, options)
  }

  replaceAddress(link: LinkRef, address: InterfaceAddress, options?: AddressOptions): void {
    this.addrOp('replace', link, address, options)
  }

  deleteAddress(link: LinkRef, address: InterfaceAddress): void {
    this.addrOp('del', link, address)
  }

  private addrOp(
    op: 'add' | 'replace' | 'del',
    link: LinkRef,
    address: InterfaceAddress,
    options?: AddressOptions,
  ): void {
    const w = encodeAddr(op, this.index(link), address, options)
    const what = `cannot ${op === 'del' ? 'delete' : 'add'} address ${String(address)} ${op === 'del' ? 'from' : 'to'} ${JSON.stringify(link)}`
    this.sock.request(w, what, { link, address: String(address) })
  }

  // ---- routes ----

  /** Routes of one family; by default those of the main table (`table: 0` for all). */
  routes(filter: { family?: 4 | 6; table?: number; oif?: LinkRef } = {}): Route[] {
    const table = filter.table ?? 254
    const oif = filter.oif === undefined ? undefined : this.index(filter.oif)
    return this.sock
      .dump(encodeGetRoute(filter.family ?? 4), 'cannot list routes')
      .filter((m) => m.type === RTM.NEWROUTE)
      .map(decodeRoute)
      .filter(
        (r): r is Route =>
          r !== undefined &&
          (table === 0 || r.table === table) &&
          (oif === undefined || r.oif === oif),
      )
  }

  addRoute(route: RouteInput): void {
    this.routeOp('add', route)
  }

  replaceRoute(route: RouteInput): void {
    this.routeOp('replace', route)
  }

  deleteRoute(route: RouteInput): void {
    this.routeOp('del', route)
  }

  private routeOp(op: 'add' | 'replace' | 'del', route: RouteInput): void {
    if (typeof route !== 'object' || route === null)
      throw new BadRequestError('invalid-route', 'a route spec object is required')
    const spec: RouteSpec = {
      ...route,
      oif: route.oif === undefined ? undefined : this.index(route.oif),
    }
    if (spec.oif === undefined) delete spec.oif
    const desc = `${route.dst?.toString() ?? 'default'}${route.gateway ? ` via ${route.gateway.toString()}` : ''}`
    this.sock.request(
      encodeRoute(op, spec),
      `cannot ${op === 'del' ? 'delete' : op} route ${desc}`,
      { route: desc },
    )
  }

  // ---- neighbours and FDB ----

  neighbors(filter: { family?: 4 | 6 | 'bridge'; link?: LinkRef } = {}): Neighbor[] {
    const index = filter.link === undefined ? undefined : this.index(filter.link)
    return this.sock
      .dump(encodeGetNeigh(filter.family ?? 4), 'cannot list neighbours')
      .filter((m) => m.type === RTM.NEWNEIGH)
      .map(decodeNeigh)
      .filter((n): n is Neighbor => n !== undefined && (index === undefined || n.index === index))
  }

  addNeighbor(n: NeighborInput): void {
    this.neighOp('add', n)
  }

  replaceNeighbor(n: NeighborInput): void {
    this.neighOp('replace', n)
  }

  deleteNeighbor(n: Omit<NeighborInput, 'mac'> & { mac?: string }): void {
    this.neighOp('del', { mac: '00:00:00:00:00:00', ...n })
  }

  private neighOp(op: 'add' | 'replace' | 'del', n: NeighborInput): void {
    if (typeof n !== 'object' || n === null)
      throw new BadRequestError('invalid-neighbor', 'a neighbour spec object is required')
    const w = encodeNeigh(op, { ...n, index: this.index(n.link) })
    this.sock.request(w, `cannot ${op} neighbour ${String(n.ip)} on ${JSON.stringify(n.link)}`, {
      link: n.link,
      ip: String(n.ip),
    })
  }

  /** FDB entries (family bridge), optionally of one device. */
  fdb(filter: { link?: LinkRef } = {}): Neighbor[] {
    return this.neighbors({ ...filter, family: 'bridge' })
  }

  addFdb(f: FdbInput): void {
    this.fdbOp('add', f)
  }

  replaceFdb(f: FdbInput): void {
    this.fdbOp('replace', f)
  }

  deleteFdb(f: FdbInput): void {
    this.fdbOp('del', f)
  }

  private fdbOp(op: 'add' | 'replace' | 'del', f: FdbInput): void {
    if (typeof f !== 'object' || f === null)
      throw new BadRequestError('invalid-fdb', 'an fdb spec object is required')
    const w = encodeFdb(op, { ...f, index: this.index(f.link) })
    this.sock.request(w, `cannot ${op} fdb entry ${f.mac} on ${JSON.stringify(f.link)}`, {
      link: f.link,
      mac: f.mac,
    })
  }

  // ---- events ----

  /** Link / address / route / neighbour changes in this client's namespace, as an async stream. */
  events(options: EventOptions = {}): AsyncIterable<NetlinkEvent> {
    return subscribe({ ...options, netns: this.options.netns, runDir: this.options.runDir })
  }
}
