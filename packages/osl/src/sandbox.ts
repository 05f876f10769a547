/**
 * A sandbox: one network namespace with a key, and what it holds — interfaces moved in from
 * the host, addresses, gateways, static routes, neighbour entries and sysctls. Every
 * multi-step change undoes its finished steps when a later one fails.
 */
import {
  type IP,
  BadRequestError,
  ConflictError,
  LibnetworkError,
  NotFoundError,
} from '@libnetwork/types'
import {
  type Link,
  type NetnsRef,
  setSysctl,
  deleteNetns,
  deleteNetnsInBackground,
} from '@libnetwork/netlink'
import { checkInterfaceOptions, describeLink } from './checks.js'
import type { NetlinkOps } from './ops.js'
import type { LinkReaper } from './reaper.js'
import type {
  InterfaceOptions,
  JoinOptions,
  NeighborEntry,
  SandboxInfo,
  SandboxInterface,
  SandboxRoute,
  VethJoinOptions,
} from './types.js'
import { Undo } from './undo.js'

interface Tracked {
  srcName?: string
  mac?: string
  mtu?: number
  /** Created here (joinVeth) or inside by its creator (`inSandbox`): removing it deletes it. */
  owned?: boolean
}

const isNotFound = (err: unknown): boolean =>
  LibnetworkError.isInstance(err) && err.category === 'not-found'

export class Sandbox {
  private readonly tracked = new Map<string, Tracked>()
  private gw4: IP | undefined
  private gw6: IP | undefined
  /** The interfaces the default routes go out of (when given). */
  private gwIf4: string | undefined
  private gwIf6: string | undefined
  private readonly staticRoutes: SandboxRoute[] = []
  private readonly neighbors: NeighborEntry[] = []
  private destroyed = false

  /** @internal Use Osl.createSandbox / Osl.restoreSandbox. */
  constructor(
    readonly key: string,
    readonly path: string,
    private readonly nl: NetlinkOps,
    private readonly host: NetlinkOps,
    private readonly hostNetns: NetnsRef,
    private readonly runDir: string,
    private readonly reaper: LinkReaper,
  ) {}

  private alive(): void {
    if (this.destroyed)
      throw new NotFoundError('sandbox-destroyed', `sandbox ${this.key} was destroyed`, {
        details: { key: this.key },
      })
  }

  /** @internal Record interfaces and default routes found in the namespace (after a restore). */
  adopt(links: Link[]): void {
    const names = new Map(links.map((l) => [l.index, l.name]))
    for (const l of links) if (l.name !== 'lo') this.tracked.set(l.name, {})
    for (const r of [...this.nl.routes({ family: 4 }), ...this.nl.routes({ family: 6 })]) {
      if (r.dst !== undefined || r.gateway === undefined) continue
      const via = r.oif === undefined ? undefined : names.get(r.oif)
      if (r.family === 4) [this.gw4, this.gwIf4] = [r.gateway, via]
      else [this.gw6, this.gwIf6] = [r.gateway, via]
    }
  }

  /** The IPv4 default gateway this sandbox has, if any. */
  get gateway(): IP | undefined {
    return this.gw4
  }

  /** The IPv6 default gateway this sandbox has, if any. */
  get gatewayV6(): IP | undefined {
    return this.gw6
  }

  private nextName(prefix: string): string {
    const taken = new Set(this.nl.links().map((l) => l.name))
    for (let i = 0; ; i++) if (!taken.has(`${prefix}${i}`)) return `${prefix}${i}`
  }

  /**
   * Move `srcName` from the host namespace into the sandbox, name it, set MAC / MTU, add its
   * addresses and bring it up. On any failure the interface goes back to the host under its
   * old name and settings, and the error is rethrown.
   */
  addInterface(options: InterfaceOptions): SandboxInterface {
    this.alive()
    if (typeof options !== 'object' || options === null)
      throw new BadRequestError('invalid-interface', 'interface options are required')
    const addresses = checkInterfaceOptions(this.key, this.nl, options)
    const inside = options.inSandbox === true
    const src: Link = (inside ? this.nl : this.host).link(options.srcName)
    const name = options.dstName ?? this.nextName(options.dstPrefix ?? 'eth')
    const undo = new Undo()
    try {
      if (!inside) {
        this.host.setLink(src.index, { netns: this.path, name })
        undo.push(() =>
          this.nl.setLink(name, { up: false, netns: this.hostNetns, name: options.srcName }),
        )
      } else if (name !== src.name) {
        this.nl.setLink(src.index, { name })
        undo.push(() => this.nl.setLink(name, { up: false, name: src.name }))
      }
      if (options.mac !== undefined && options.mac !== src.mac) {
        this.nl.setLink(name, { mac: options.mac })
        if (src.mac) undo.push(() => this.nl.setLink(name, { mac: src.mac! }))
      }
      if (options.mtu !== undefined && options.mtu !== src.mtu) {
        this.nl.setLink(name, { mtu: options.mtu })
        undo.push(() => this.nl.setLink(name, { mtu: src.mtu }))
      }
      for (const a of addresses) {
        this.nl.addAddress(name, a, { noDad: a.version === 6 })
        undo.push(() => this.nl.deleteAddress(name, a))
      }
      if (options.up ?? true) this.nl.setLink(name, { up: true })
    } catch (err) {
      const undoErrors = undo.rollback()
      if (undoErrors.length && err instanceof Error) {
        Object.assign(err, { undoErrors })
      }
      throw err
    }
    this.tracked.set(
      name,
      inside ? { owned: true } : { srcName: options.srcName, mac: src.mac, mtu: src.mtu },
    )
    return this.describe(this.nl.link(name))
  }

  /**
   * The sandbox half of an endpoint join, all or nothing: move the interface in (as
   * `addInterface`), then set the gateways and static routes. A failure at any step undoes
   * the earlier ones, so the interface is back in the host and no route is left behind.
   */
  join(options: JoinOptions): SandboxInterface {
    this.alive()
    const iface = this.addInterface(options)
    const undo = new Undo()
    undo.push(() => this.removeInterface(iface.name))
    try {
      this.routesFor(iface.name, options, undo)
    } catch (err) {
      const undoErrors = undo.rollback()
      if (undoErrors.length && err instanceof Error) Object.assign(err, { undoErrors })
      throw err
    }
    return this.describe(this.nl.link(iface.name))
  }

  /**
   * The fast join: create a veth pair whose inside end is born in the sandbox under its final
   * name (no move, no rename), attach the host end to `master`, then addresses, up, gateways
   * and routes. All or nothing: on failure the pair is deleted. `removeInterface` deletes it.
   */
  joinVeth(options: VethJoinOptions): SandboxInterface {
    this.alive()
    if (typeof options !== 'object' || options === null)
      throw new BadRequestError('invalid-interface', 'veth options are required')
    const addresses = checkInterfaceOptions(this.key, this.nl, options)
    const name = options.dstName ?? this.nextName(options.dstPrefix ?? 'eth')
    const undo = new Undo()
    try {
      this.host.createLink({
        kind: 'veth',
        name: options.hostName,
        up: true,
        ...(options.master !== undefined ? { master: options.master } : {}),
        ...(options.mtu !== undefined ? { mtu: options.mtu } : {}),
        peer: {
          name,
          netns: this.path,
          ...(options.mac ? { mac: options.mac } : {}),
          ...(options.mtu ? { mtu: options.mtu } : {}),
        },
      })
      undo.push(() => this.host.deleteLink(options.hostName))
      for (const a of addresses) this.nl.addAddress(name, a, { noDad: a.version === 6 })
      if (options.up ?? true) this.nl.setLink(name, { up: true })
      this.tracked.set(name, { owned: true })
      undo.push(() => this.tracked.delete(name))
      this.routesFor(name, options, undo)
    } catch (err) {
      const undoErrors = undo.rollback()
      if (undoErrors.length && err instanceof Error) Object.assign(err, { undoErrors })
      throw err
    }
    return this.describe(this.nl.link(name))
  }

  private routesFor(
    name: string,
    options: Pick<JoinOptions, 'gateway' | 'gatewayV6' | 'routes'>,
    undo: Undo,
  ): void {
    for (const [gw, v] of [
      [options.gateway, 4],
      [options.gatewayV6, 6],
    ] as const) {
      if (gw === undefined) continue
      this.setGateway(gw, { interface: name })
      undo.push(() => this.unsetGateway(v))
    }
    for (const r of options.routes ?? []) {
      const route = { ...r, interface: r.interface ?? name }
      this.addStaticRoute(route)
      undo.push(() => this.removeStaticRoute(route))
    }
  }

  /**
   * Take an interface out: by default move it back to the host under its old name (or
   * `hostName`, needed after a restore; addresses do not travel); with `{ delete: true }`
   * delete it (a veth takes its peer along).
   */
  removeInterface(name: string, options: { delete?: boolean; hostName?: string } = {}): void {
    this.alive()
    const link = this.nl.link(name)
    const t = this.tracked.get(name)
    if (options.delete || t?.owned) {
      this.nl.deleteLink(link.index)
    } else {
      const back = options.hostName ?? t?.srcName ?? name
      this.nl.setLink(link.index, { up: false })
      try {
        if (t?.mac && t.mac !== link.mac) this.nl.setLink(link.index, { mac: t.mac })
        if (t?.mtu && t.mtu !== link.mtu) this.nl.setLink(link.index, { mtu: t.mtu })
        this.nl.setLink(link.index, { netns: this.hostNetns, name: back })
      } catch (err) {
        this.nl.setLink(link.index, { up: link.up })
        throw err
      }
    }
    this.tracked.delete(name)
    this.forgetRoutesOf(name)
  }

  /**
   * Take an interface out of service now and delete it in the background: at once it goes
   * down, loses its addresses (so its routes and the default route through it go too) and is
   * renamed out of the way (its name is free for the next interface); the kernel deletes it
   * (a veth takes its peer along) in the background (see LinkReaper). The promise settles when it is gone.
   */
  retireInterface(name: string): Promise<void> {
    this.alive()
    const link = this.nl.link(name)
    this.nl.setLink(link.index, { up: false })
    for (const a of this.nl.addresses({ link: link.index })) {
      try {
        this.nl.deleteAddress(link.index, a.address)
      } catch (err) {
        if (!isNotFound(err)) throw err
      }
    }
    this.nl.setLink(link.index, { name: `gone${link.index}` })
    this.tracked.delete(name)
    this.forgetRoutesOf(name)
    return this.reaper.delete(this.path, link.index, this.hostPeerOf(link))
  }

  /** The index of a veth's peer if that is in the host namespace (and points back at it). */
  private hostPeerOf(link: Link): number | undefined {
    if (link.kind !== 'veth' || link.parent === undefined || link.linkNetnsId === undefined) return
    const peer = this.host.findLink(link.parent)
    const mutual =
      peer?.kind === 'veth' && peer.parent === link.index && peer.linkNetnsId !== undefined
    return mutual ? peer.index : undefined
  }

  private forgetRoutesOf(name: string): void {
    if (this.gwIf4 === name) [this.gw4, this.gwIf4] = [undefined, undefined]
    if (this.gwIf6 === name) [this.gw6, this.gwIf6] = [undefined, undefined]
    for (let i = this.staticRoutes.length - 1; i >= 0; i--)
      if (this.staticRoutes[i]!.interface === name) this.staticRoutes.splice(i, 1)
    for (let i = this.neighbors.length - 1; i >= 0; i--)
      if (this.neighbors[i]!.interface === name) this.neighbors.splice(i, 1)
  }

  /** Interfaces in the namespace (loopback excluded), as the kernel reports them. */
  interfaces(): SandboxInterface[] {
    this.alive()
    return this.nl
      .links()
      .filter((l) => l.name !== 'lo')
      .map((l) => this.describe(l))
  }

  private describe(l: Link): SandboxInterface {
    return describeLink(this.nl, l, this.tracked.get(l.name)?.srcName)
  }

  /** Default route via `gateway` (IPv4 or IPv6 by the address), optionally on `interface`. */
  setGateway(gateway: IP, options: { interface?: string } = {}): void {
    this.alive()
    const v = gateway?.version
    if (v !== 4 && v !== 6)
      throw new BadRequestError('invalid-gateway', 'gateway must be an IP value')
    if ((v === 4 ? this.gw4 : this.gw6) !== undefined) {
      throw new ConflictError('gateway-set', `sandbox ${this.key} already has an IPv${v} gateway`, {
        details: { key: this.key },
      })
    }
    this.nl.addRoute({ gateway, ...(options.interface ? { oif: options.interface } : {}) })
    if (v === 4) [this.gw4, this.gwIf4] = [gateway, options.interface]
    else [this.gw6, this.gwIf6] = [gateway, options.interface]
  }

  /** Remove the IPv4 (default) or IPv6 default route this sandbox set. */
  unsetGateway(version: 4 | 6 = 4): void {
    this.alive()
    const gw = version === 4 ? this.gw4 : this.gw6
    if (!gw)
      throw new NotFoundError('no-gateway', `sandbox ${this.key} has no IPv${version} gateway`, {
        details: { key: this.key },
      })
    try {
      this.nl.deleteRoute({ gateway: gw })
    } catch (err) {
      if (!isNotFound(err)) throw err
    }
    if (version === 4) [this.gw4, this.gwIf4] = [undefined, undefined]
    else [this.gw6, this.gwIf6] = [undefined, undefined]
  }

  addStaticRoute(route: SandboxRoute): void {
    this.alive()
    const gateway = routeGateway(route)
    this.nl.addRoute({
      dst: route.destination,
      ...(gateway ? { gateway } : {}),
      ...(route.interface ? { oif: route.interface } : {}),
      ...(route.onLink ? { onLink: true } : {}),
    })
    this.staticRoutes.push({ ...route })
  }

  removeStaticRoute(route: SandboxRoute): void {
    this.alive()
    const gateway = routeGateway(route)
    this.nl.deleteRoute({
      dst: route.destination,
      ...(gateway ? { gateway } : {}),
      ...(route.interface ? { oif: route.interface } : {}),
    })
    const i = this.staticRoutes.findIndex((r) => r.destination.equals(route.destination))
    if (i >= 0) this.staticRoutes.splice(i, 1)
  }

  addNeighbor(entry: NeighborEntry): void {
    this.alive()
    if (typeof entry !== 'object' || entry === null)
      throw new BadRequestError('invalid-neighbor', 'a neighbour entry is required')
    this.nl.addNeighbor({ link: entry.interface, ip: entry.ip, mac: entry.mac })
    this.neighbors.push({ ...entry })
  }

  deleteNeighbor(entry: Omit<NeighborEntry, 'mac'>): void {
    this.alive()
    this.nl.deleteNeighbor({ link: entry.interface, ip: entry.ip })
    const i = this.neighbors.findIndex(
      (n) => n.ip.equals(entry.ip) && n.interface === entry.interface,
    )
    if (i >= 0) this.neighbors.splice(i, 1)
  }

  /** Set a /proc/sys value inside the sandbox (`net.ipv4.conf.all.forwarding`, …). */
  setSysctl(key: string, value: string | number): void {
    this.alive()
    setSysctl(key, value, { netns: this.path })
  }

  /** What the sandbox holds: interfaces (from the kernel), gateways, routes and neighbours. */
  info(): SandboxInfo {
    return {
      key: this.key,
      path: this.path,
      interfaces: this.interfaces(),
      ...(this.gw4 ? { gateway: this.gw4 } : {}),
      ...(this.gw6 ? { gatewayV6: this.gw6 } : {}),
      routes: this.staticRoutes.map((r) => ({ ...r })),
      neighbors: this.neighbors.map((n) => ({ ...n })),
    }
  }

  /**
   * Move the interfaces it was given back to the host (best effort), then delete the
   * namespace. Whatever is left inside (veth ends it created, other links) goes with it: the
   * kernel frees them in the background.
   */
  destroy(options: { moveBack?: boolean } = {}): void {
    if (this.destroyed) return
    this.closeDown(options.moveBack ?? true)
    deleteNetns(this.key, { runDir: this.runDir })
    // Interfaces still queued for deletion go with the namespace instead, in one batch.
    this.reaper.release(this.path)
  }

  /**
   * `destroy`, with the namespace's unmount and file removal on a libuv pool thread: the
   * sandbox is unusable at once, and the promise settles when its key is free again (until
   * then a sandbox of the same key cannot be created). Rejects if the kernel refuses.
   */
  destroyInBackground(options: { moveBack?: boolean } = {}): Promise<void> {
    if (this.destroyed) return Promise.resolve()
    this.closeDown(options.moveBack ?? true)
    const release = () => this.reaper.release(this.path)
    return deleteNetnsInBackground(this.key, { runDir: this.runDir }).then(release, (err) => {
      release()
      throw err
    })
  }

  private closeDown(moveBack: boolean): void {
    if (moveBack) {
      for (const [name, t] of [...this.tracked]) {
        if (t.owned) continue
        try {
          this.removeInterface(name)
        } catch {
          // The namespace is deleted next; a device that cannot move dies with it.
        }
      }
    }
    this.destroyed = true
    this.nl.close()
  }
}

/** The gateway of a route: its `nextHop` when it is a `nexthop` route, else none. */
function routeGateway(route: SandboxRoute): IP | undefined {
  if (typeof route !== 'object' || route === null)
    throw new BadRequestError('invalid-route', 'a route is required')
  if (route.routeType !== 'nexthop' && route.routeType !== 'connected') {
    throw new BadRequestError('invalid-route', `unknown route type ${String(route.routeType)}`, {
      details: { routeType: String(route.routeType) },
    })
  }
  if (route.routeType === 'connected') return undefined
  if (route.nextHop === undefined) {
    throw new BadRequestError('invalid-route', 'a nexthop route needs a nextHop', {
      details: { destination: String(route.destination) },
    })
  }
  return route.nextHop
}
