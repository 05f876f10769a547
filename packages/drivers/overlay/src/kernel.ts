/** The kernel I/O of the overlay driver behind one narrow interface (rtnetlink by default). */
import { spawnSync } from 'node:child_process'
import { Netlink, createNetns, deleteNetns, listNetns, netnsExists } from '@libnetwork/netlink'
import { LibnetworkError, type IP } from '@libnetwork/types'

/** A network's own namespace on this host: a bridge and a VXLAN device enslaved to it. */
export interface NetworkSandboxSpec {
  /** Name of the namespace (under /run/netns). */
  netns: string
  bridge: string
  vxlan: string
  vni: number
  port: number
  /** The local tunnel endpoint address; absent: the kernel picks per packet. */
  local?: IP
  mtu: number
}

/** The veth of one endpoint: `host` on the network's bridge, `peer` born in the sandbox. */
export interface EndpointVethSpec {
  netns: string
  bridge: string
  host: string
  peer: string
  /** The container's namespace (a path such as /run/netns/x, or a name). */
  sandboxKey: string
  mtu: number
  mac: string
}

/** One remote endpoint as programmed into the VXLAN device's FDB and neighbour tables. */
export interface PeerEntry {
  ip: IP
  mac: string
  vtep: IP
}

export interface OverlayKernel {
  /** MTU of the host link holding `address` (the underlay), or of the default route's link. */
  underlayMtu(address?: IP): number
  /** Whether IPsec ESP works here (asked once in a throwaway namespace, then remembered). */
  supportsEsp(): boolean
  /** Make the namespace, bridge and VXLAN device, all up. All or nothing. */
  createNetworkSandbox(spec: NetworkSandboxSpec): void
  /** Whether the network namespace `netns` exists (after a restart). */
  sandboxExists(netns: string): boolean
  /** The names of the network namespaces starting with `prefix` (for restore). */
  listSandboxes(prefix: string): string[]
  /** Whether link `name` exists in `netns`. */
  linkExists(netns: string, name: string): boolean
  /** Remove the namespace and everything in it; a missing one is fine. */
  deleteNetworkSandbox(netns: string): void
  createVeth(spec: EndpointVethSpec): void
  /** Delete a link in `netns`; a missing link is fine. */
  deleteLink(netns: string, name: string): void
  /** A static FDB entry (MAC → VTEP, self, permanent) and a permanent neighbour (IP → MAC). */
  addPeer(netns: string, vxlan: string, peer: PeerEntry): void
  /** Remove both entries of a peer; missing ones are fine. */
  deletePeer(netns: string, vxlan: string, peer: PeerEntry): void
  close(): void
}

const notFound = (err: unknown) => LibnetworkError.isInstance(err) && err.category === 'not-found'
const ignoreMissing = (fn: () => void) => {
  try {
    fn()
  } catch (err) {
    if (!notFound(err)) throw err
  }
}

/** ESP with AES-GCM, as upstream programs it, in a namespace that dies with the probe. */
function probeEsp(): boolean {
  const r = spawnSync(
    'unshare',
    [
      '--net',
      'ip',
      'xfrm',
      'state',
      'add',
      'src',
      '192.0.2.1',
      'dst',
      '192.0.2.2',
      'proto',
      'esp',
      'spi',
      '0x100',
      'aead',
      'rfc4106(gcm(aes))',
      '0x0102030405060708090a0b0c0d0e0f1011121314',
      '128',
    ],
    { encoding: 'utf8', timeout: 10_000 },
  )
  return r.status === 0
}

/**
 * The overlay kernel through rtnetlink in-process, from the host namespace `netns` (default:
 * this process's own). VXLAN devices are created from the host namespace, so their UDP socket
 * listens on the underlay, and moved into the network's namespace at birth.
 */
export function netlinkOverlayKernel(opts: { netns?: string } = {}): OverlayKernel {
  let hostHandle: Netlink | undefined
  const host = () => (hostHandle ??= Netlink.open(opts.netns ? { netns: opts.netns } : {}))
  const handles = new Map<string, Netlink>()
  const nl = (netns: string) => {
    let h = handles.get(netns)
    if (!h) handles.set(netns, (h = Netlink.open({ netns })))
    return h
  }
  let esp: boolean | undefined
  return {
    underlayMtu(address) {
      const h = host()
      const addr = address && h.addresses().find((a) => a.address.ip.equals(address))
      const index = addr?.index ?? h.routes({ family: 4 }).find((r) => !r.dst)?.oif
      const link = index === undefined ? undefined : h.findLink(index)
      return link?.mtu ?? 1500
    },
    supportsEsp() {
      return (esp ??= probeEsp())
    },
    createNetworkSandbox(s) {
      createNetns(s.netns)
      try {
        const h = nl(s.netns)
        h.setUp('lo')
        h.createLink({ kind: 'bridge', name: s.bridge, mtu: s.mtu, up: true })
        host().createLink({
          kind: 'vxlan',
          name: s.vxlan,
          mtu: s.mtu,
          netns: s.netns,
          vxlan: {
            id: s.vni,
            port: s.port,
            learning: false,
            proxy: true,
            ttl: 0,
            ...(s.local ? { local: s.local } : {}),
          },
        })
        h.setLink(s.vxlan, { master: s.bridge, up: true })
      } catch (err) {
        this.deleteNetworkSandbox(s.netns)
        throw err
      }
    },
    sandboxExists(netns) {
      return netnsExists(netns)
    },
    listSandboxes(prefix) {
      return listNetns().filter((n) => n.startsWith(prefix))
    },
    linkExists(netns, name) {
      return netnsExists(netns) && nl(netns).findLink(name) !== undefined
    },
    deleteNetworkSandbox(netns) {
      // A namespace's devices go in the kernel's cleanup work, after the unmount: the VXLAN
      // device (its VNI and port held in the host namespace) goes now, so a new one can come.
      if (netnsExists(netns)) {
        const h = nl(netns)
        for (const l of h.links())
          if (l.kind === 'vxlan') ignoreMissing(() => h.deleteLink(l.index))
      }
      handles.get(netns)?.close()
      handles.delete(netns)
      if (netnsExists(netns)) deleteNetns(netns)
    },
    createVeth(s) {
      nl(s.netns).createLink({
        kind: 'veth',
        name: s.host,
        master: s.bridge,
        mtu: s.mtu,
        up: true,
        peer: { name: s.peer, mtu: s.mtu, mac: s.mac, netns: s.sandboxKey },
      })
    },
    deleteLink(netns, name) {
      if (!handles.has(netns) && !netnsExists(netns)) return
      ignoreMissing(() => nl(netns).deleteLink(name))
    },
    addPeer(netns, vxlan, p) {
      const h = nl(netns)
      h.replaceNeighbor({ link: vxlan, ip: p.ip, mac: p.mac, state: 'permanent' })
      try {
        h.replaceFdb({ link: vxlan, mac: p.mac, dst: p.vtep, target: 'self', state: 'permanent' })
      } catch (err) {
        ignoreMissing(() => h.deleteNeighbor({ link: vxlan, ip: p.ip }))
        throw err
      }
    },
    deletePeer(netns, vxlan, p) {
      const h = nl(netns)
      ignoreMissing(() => h.deleteFdb({ link: vxlan, mac: p.mac, dst: p.vtep, target: 'self' }))
      ignoreMissing(() => h.deleteNeighbor({ link: vxlan, ip: p.ip }))
    },
    close() {
      for (const h of handles.values()) h.close()
      handles.clear()
      hostHandle?.close()
      hostHandle = undefined
    },
  }
}
