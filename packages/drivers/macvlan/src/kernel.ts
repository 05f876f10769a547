import { Netlink, linkKindSupported } from '@libnetwork/netlink'
import { LibnetworkError } from '@libnetwork/types'
import type { MacvlanMode } from './options.js'

/** A host link as the macvlan driver sees it. */
export interface HostLink {
  name: string
  index: number
  mtu: number
  kind?: string
  alias?: string
  /** Enslaved to a bridge or bond (the kernel gives such a port no macvlan children). */
  enslaved: boolean
  loopback: boolean
}

/** A container interface: a macvlan child of `parent`, born inside the sandbox `netns`. */
export interface MacvlanSpec {
  name: string
  parent: string
  mode: MacvlanMode
  mtu: number
  mac?: string
  /** The sandbox's namespace (a path such as `/run/netns/x`, or a name). */
  netns: string
}

/** The kernel I/O the macvlan driver needs, in its host namespace; narrow so tests can fake it. */
export interface MacvlanKernel {
  /** The host link of that name, or undefined. */
  link(name: string): Promise<HostLink | undefined>
  links(): Promise<HostLink[]>
  /** Whether the kernel can create links of this kind (asked once, then remembered). */
  supports(kind: 'vlan' | 'dummy'): Promise<boolean>
  /** An 802.1Q sub-interface `name` of `link`, with an alias, up. All or nothing. */
  createVlan(spec: { name: string; link: string; vlanId: number; alias: string }): Promise<void>
  /** A dummy link, with an alias, up. All or nothing. */
  createDummy(spec: { name: string; alias: string }): Promise<void>
  createMacvlan(spec: MacvlanSpec): Promise<void>
  /** Relabel a host link (an owned parent passing to another network). */
  setAlias(name: string, alias: string): Promise<void>
  /** Delete a link of the host namespace, or of `netns`; absent links and namespaces are fine. */
  deleteLink(name: string, netns?: string): Promise<void>
  close(): void
}

const notFound = (err: unknown) => LibnetworkError.isInstance(err) && err.category === 'not-found'
const badRequest = (err: unknown) =>
  LibnetworkError.isInstance(err) && err.category === 'bad-request'

/**
 * The macvlan kernel through rtnetlink in-process (`@libnetwork/netlink`), working in the
 * named namespace `netns` (default: this process's own). No spawns.
 */
export function netlinkMacvlanKernel(opts: { netns?: string } = {}): MacvlanKernel {
  let handle: Netlink | undefined
  const nl = () => (handle ??= Netlink.open(opts.netns ? { netns: opts.netns } : {}))
  const support = new Map<string, boolean>()
  const view = (l: ReturnType<Netlink['link']>): HostLink => ({
    name: l.name,
    index: l.index,
    mtu: l.mtu,
    ...(l.kind ? { kind: l.kind } : {}),
    ...(l.alias ? { alias: l.alias } : {}),
    enslaved: l.master !== undefined,
    loopback: (l.flags & 0x8) !== 0,
  })
  /** Name, alias and up on a link just made; on failure it goes again. */
  const finish = (name: string, alias: string) => {
    try {
      nl().setLink(name, { alias, up: true })
    } catch (err) {
      nl().deleteLink(name)
      throw err
    }
  }
  return {
    async link(name) {
      const l = nl().findLink(name)
      return l && view(l)
    },
    async links() {
      return nl().links().map(view)
    },
    async supports(kind) {
      let yes = support.get(kind)
      if (yes === undefined) support.set(kind, (yes = linkKindSupported(kind)))
      return yes
    },
    async createVlan(s) {
      nl().createLink({ kind: 'vlan', name: s.name, parent: s.link, vlanId: s.vlanId })
      finish(s.name, s.alias)
    },
    async createDummy(s) {
      nl().createLink({ kind: 'dummy', name: s.name })
      finish(s.name, s.alias)
    },
    async createMacvlan(s) {
      nl().createLink({
        kind: 'macvlan',
        name: s.name,
        parent: s.parent,
        mode: s.mode,
        mtu: s.mtu,
        ...(s.mac ? { mac: s.mac } : {}),
        netns: s.netns,
      })
    },
    async setAlias(name, alias) {
      nl().setLink(name, { alias })
    },
    async deleteLink(name, netns) {
      if (netns === undefined) {
        // The kernel's wait while unregistering a device happens on a pool thread.
        if (nl().findLink(name)) await nl().deleteLinkInBackground(name)
        return
      }
      let h: Netlink
      try {
        h = Netlink.open({ netns })
      } catch (err) {
        // the sandbox is gone, and the link with it (or its file is no namespace any more: a
        // delete half-done by a kill)
        if (notFound(err) || badRequest(err)) return
        throw err
      }
      try {
        if (h.findLink(name)) await h.deleteLinkInBackground(name)
      } finally {
        h.close()
      }
    },
    close() {
      handle?.close()
      handle = undefined
    },
  }
}
