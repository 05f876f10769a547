// The overlay driver itself on harness hosts, without daemons: one driver per host (in this
// process, working in the host's namespace through netlink), the cluster tables as one in-memory
// map that hands each host's puts to the other hosts' drivers. For the data-path benchmark (O1),
// where the control plane is not what is measured. Containers are namespaces
// `<prefix>-<host>-c-<name>`, deleted by the harness's teardown with everything else.
import type {
  ClusterTables,
  CreateNetworkRequest,
  Driver,
  TableEvent,
  TableWatch,
} from '@libnetwork/driverapi'
import { overlay, parseOverlayOptions } from '@libnetwork/driver-overlay'
import { IPNet, InterfaceAddress, noopLogger } from '@libnetwork/types'
import { sh, type Host, type Teardown, type Underlay } from './harness.js'

/** The cluster's tables as one map; every put or delete reaches the other members at once. */
class MemoryTables {
  readonly entries = new Map<string, { value: Uint8Array; owner: string }>()
  readonly members = new Map<string, Driver>()

  for(nodeName: string, advertiseAddress: string): ClusterTables {
    const k = (table: string, nid: string, key: string) => `${table}\0${nid}\0${key}`
    const emit = (ev: Omit<TableEvent, 'local'>) => {
      for (const [name, d] of this.members)
        if (name !== nodeName) d.onTableEvent?.({ ...ev, local: false })
    }
    return {
      nodeName,
      advertiseAddress,
      joinNetwork: async () => undefined,
      leaveNetwork: async () => undefined,
      put: async (table, networkId, key, value) => {
        const old = this.entries.get(k(table, networkId, key))
        this.entries.set(k(table, networkId, key), { value, owner: nodeName })
        emit({ type: old ? 'update' : 'create', table, networkId, key, value, owner: nodeName })
      },
      delete: async (table, networkId, key) => {
        const old = this.entries.get(k(table, networkId, key))
        if (!old) return
        this.entries.delete(k(table, networkId, key))
        emit({ type: 'delete', table, networkId, key, value: old.value, owner: nodeName })
      },
      entries: (table, networkId) =>
        [...this.entries]
          .filter(([key]) => key.startsWith(`${table}\0${networkId}\0`))
          .map(([key, e]) => ({
            key: key.split('\0')[2]!,
            value: e.value,
            owner: e.owner,
            local: e.owner === nodeName,
          })),
      watch: (): TableWatch => {
        throw new Error('these tables deliver through onTableEvent only')
      },
    }
  }
}

export interface DriverHost {
  host: Host
  driver: Driver
}

/** One overlay driver per host of `u`, sharing in-memory cluster tables; stopped at teardown. */
export function overlayDrivers(t: Teardown, u: Underlay): DriverHost[] {
  const tables = new MemoryTables()
  const out = u.hosts.map((host) => {
    const driver = overlay(
      {},
      { netns: host.ns, netnsPrefix: `${host.ns}-ov` },
    )({ logger: noopLogger, cluster: tables.for(host.name, host.ip) })
    tables.members.set(host.name, driver)
    return { host, driver }
  })
  t.teardown(async () => {
    for (const d of out) await d.driver.stop()
  })
  return out
}

/** An overlay network request: 64-hex id from `n`, subnet 10.<80+n>.0.0/24, a fixed VNI. */
export function overlayNetwork(n: number, vni: number): CreateNetworkRequest {
  return {
    networkId: String(n).padStart(2, '0').repeat(32),
    name: `ov${n}`,
    options: parseOverlayOptions({
      'com.docker.network.driver.overlay.vxlanid_list': String(vni),
    }),
    ipv4: [
      {
        pool: IPNet.parse(`10.${80 + n}.0.0/24`),
        gateway: InterfaceAddress.parse(`10.${80 + n}.0.1/24`),
      },
    ],
    ipv6: [],
    enableIPv6: false,
    internal: false,
    labels: {},
  }
}

/** A container namespace on `h` (`<host ns>-c-<name>`), loopback up. */
export async function containerNs(h: Host, name: string): Promise<string> {
  const ns = `${h.ns}-c-${name}`
  await sh(['ip', 'netns', 'add', ns])
  await sh(['ip', '-n', ns, 'link', 'set', 'lo', 'up'])
  return ns
}

/** Endpoint `endpointId` of `net` with address `addr` joined into container namespace `ns`. */
export async function attachNs(
  d: Driver,
  net: CreateNetworkRequest,
  endpointId: string,
  addr: string,
  ns: string,
): Promise<void> {
  await d.createEndpoint({
    networkId: net.networkId,
    endpointId,
    iface: { address: InterfaceAddress.parse(addr) },
    options: {},
  })
  const r = await d.join({
    networkId: net.networkId,
    endpointId,
    sandboxKey: `/run/netns/${ns}`,
    options: {},
  })
  const name = r.interfaces[0]!.srcName
  await sh(['ip', '-n', ns, 'addr', 'add', addr, 'dev', name])
  await sh(['ip', '-n', ns, 'link', 'set', name, 'up'])
}

/** Leave and delete endpoint `endpointId` of `net`. */
export async function detachNs(d: Driver, networkId: string, endpointId: string): Promise<void> {
  await d.leave({ networkId, endpointId })
  await d.deleteEndpoint({ networkId, endpointId })
}

/** One ping from `ns` to `ip`, answered or not within a second. */
export async function pingOnce(ns: string, ip: string): Promise<boolean> {
  try {
    await sh(['ip', 'netns', 'exec', ns, 'ping', '-c', '1', '-W', '1', ip])
    return true
  } catch {
    return false
  }
}
