/**
 * A network's kernel state on this host and its peers: the namespace with bridge and VXLAN
 * device (made at the first join, gone at the last leave), this host's peer records in the
 * cluster table, and the static FDB and neighbour entries of the remote ones.
 */
import type { ClusterTables, TableEvent } from '@libnetwork/driverapi'
import { IP, InterfaceAddress, type Logger } from '@libnetwork/types'
import type { OverlayKernel, PeerEntry } from './kernel.js'
import { BRIDGE, vxlanName, type Ep, type Net } from './model.js'
import { PEER_TABLE, decodePeerRecord, encodePeerRecord, type PeerRecord } from './peer-record.js'

export function peerEntry(r: PeerRecord): PeerEntry {
  return {
    ip: InterfaceAddress.parse(r.endpointIp).ip,
    mac: r.endpointMac,
    vtep: IP.parse(r.tunnelEndpointIp),
  }
}

export class Plumbing {
  constructor(
    readonly kernel: OverlayKernel,
    readonly cluster: ClusterTables | undefined,
    readonly log: Logger,
    readonly port: number,
  ) {}

  /** This host's tunnel endpoint: its cluster advertise address. */
  local(): IP | undefined {
    const a = this.cluster?.advertiseAddress
    return a ? IP.parse(a) : undefined
  }

  /**
   * The record this host publishes for an endpoint (upstream's: one per endpoint, keyed by its
   * id, with its IPv4 address; an IPv6-only endpoint with its IPv6 one).
   */
  record(ep: Ep): PeerRecord | undefined {
    const a = ep.iface.address ?? ep.iface.addressIPv6
    const vtep = this.cluster?.advertiseAddress
    if (!a || !vtep) return undefined
    return { endpointIp: a.toString(), endpointMac: ep.mac, tunnelEndpointIp: vtep }
  }

  /**
   * The first join on this host: the network's gossip group (so this host's peer records go
   * out and the others' come in), then the namespace, bridge and VXLAN device, and known peers.
   */
  async ensure(net: Net): Promise<void> {
    if (net.sandbox) return
    await this.joinGroup(net)
    const local = this.local()
    try {
      this.kernel.createNetworkSandbox({
        netns: net.netns,
        bridge: BRIDGE,
        vxlan: vxlanName(net.vni, net.id),
        vni: net.vni,
        port: this.port,
        mtu: net.mtu,
        ...(local ? { local } : {}),
      })
    } catch (err) {
      await this.leaveGroup(net)
      throw err
    }
    this.adopt(net)
  }

  /** Take part in the network's group in the cluster tables (counted there; once per network). */
  async joinGroup(net: Net): Promise<void> {
    if (!this.cluster || net.inGroup) return
    await this.cluster.joinNetwork(net.id)
    net.inGroup = true
  }

  async leaveGroup(net: Net): Promise<void> {
    if (!this.cluster || !net.inGroup) return
    net.inGroup = false
    try {
      await this.cluster.leaveNetwork(net.id)
    } catch (err) {
      this.log.warn('overlay: cannot leave the network group', { networkId: net.id, error: err })
    }
  }

  /** A namespace that survived a restart: taken as it is, the known peers programmed again. */
  adopt(net: Net): void {
    net.sandbox = true
    for (const e of this.cluster?.entries(PEER_TABLE, net.id) ?? [])
      if (!e.local) this.#remember(net, e.key, e.value)
    for (const r of net.remote.values()) this.#program(net, r, 'add')
  }

  /** The last leave: the namespace goes, and every entry in it; then the group. */
  async drop(net: Net): Promise<void> {
    this.kernel.deleteNetworkSandbox(net.netns)
    net.sandbox = false
    await this.leaveGroup(net)
  }

  async publish(net: Net, ep: Ep, op: 'put' | 'delete'): Promise<void> {
    const c = this.cluster
    const r = this.record(ep)
    if (!c || !r) return
    try {
      if (op === 'put') await c.put(PEER_TABLE, net.id, ep.id, encodePeerRecord(r))
      else await c.delete(PEER_TABLE, net.id, ep.id)
    } catch (err) {
      this.log.error(`overlay: cannot ${op} the peer record`, {
        networkId: net.id,
        endpointId: ep.id,
        error: err,
      })
    }
  }

  /** A remote change of `overlay_peer_table` on a network this host knows. */
  onEvent(net: Net, ev: TableEvent): void {
    if (ev.type === 'delete') {
      const r = net.remote.get(ev.key)
      net.remote.delete(ev.key)
      if (r && net.sandbox) this.#program(net, r, 'delete')
      return
    }
    const old = net.remote.get(ev.key)
    const r = this.#remember(net, ev.key, ev.value)
    if (!r) {
      // not a usable remote peer (any more): what was programmed for the key goes
      if (old && net.sandbox && !net.remote.has(ev.key)) this.#program(net, old, 'delete')
      return
    }
    if (!net.sandbox) return
    if (old && (old.endpointMac !== r.endpointMac || old.endpointIp !== r.endpointIp))
      this.#program(net, old, 'delete')
    this.#program(net, r, 'add')
  }

  /**
   * This host's own endpoint published by another node: the key is ours again (see
   * `ClusterTables.put`), and what was programmed for it as a remote peer goes.
   */
  forget(net: Net, key: string): void {
    const r = net.remote.get(key)
    if (!r) return
    net.remote.delete(key)
    if (net.sandbox) this.#program(net, r, 'delete')
  }

  #remember(net: Net, key: string, value: Uint8Array): PeerRecord | undefined {
    try {
      const r = decodePeerRecord(value)
      peerEntry(r)
      if (r.tunnelEndpointIp === this.cluster?.advertiseAddress) {
        // an endpoint of this host published by another node (the dead predecessor of this
        // daemon, after a kill -9 and restart): not a remote peer
        net.remote.delete(key)
        return undefined
      }
      net.remote.set(key, r)
      return r
    } catch (err) {
      this.log.warn('overlay: ignoring a bad peer record', { networkId: net.id, key, error: err })
      return undefined
    }
  }

  #program(net: Net, r: PeerRecord, op: 'add' | 'delete'): void {
    const vx = vxlanName(net.vni, net.id)
    try {
      if (op === 'add') this.kernel.addPeer(net.netns, vx, peerEntry(r))
      else this.kernel.deletePeer(net.netns, vx, peerEntry(r))
    } catch (err) {
      this.log.error(`overlay: cannot ${op} a peer`, { networkId: net.id, peer: r, error: err })
    }
  }
}
