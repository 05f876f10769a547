// The overlay driver itself on harness hosts, without daemons: one driver per host (in this
// process, working in the host's namespace through netlink), the cluster tables as the overlay
// package's in-memory `FakeCluster`, which hands each host's puts to the other hosts' drivers.
// For the leftovers checker's own test (overlay-leftovers.test.ts), which must see what the
// driver itself makes. Containers are namespaces `<prefix>-<host>-c-<name>`, deleted by the
// harness's teardown with everything else.
import type { CreateNetworkRequest, Driver } from '@libnetwork/driverapi'
import { overlay } from '@libnetwork/driver-overlay'
import {
  FakeCluster,
  createAndJoin,
  overlayNetworkRequest,
} from '@libnetwork/driver-overlay/testing'
import { noopLogger } from '@libnetwork/types'
import { sh, type Host, type Teardown, type Underlay } from './harness.js'

export interface DriverHost {
  host: Host
  driver: Driver
}

/** One overlay driver per host of `u`, sharing in-memory cluster tables; stopped at teardown. */
export function overlayDrivers(t: Teardown, u: Underlay): DriverHost[] {
  const cluster = new FakeCluster()
  const out = u.hosts.map((host) => {
    const driver = overlay(
      {},
      { netns: host.ns, netnsPrefix: `${host.ns}-ov` },
    )({ logger: noopLogger, cluster: cluster.tables(host.name, host.ip) })
    cluster.members.set(host.name, driver)
    return { host, driver }
  })
  t.teardown(async () => {
    for (const d of out) await d.driver.stop()
  })
  return out
}

/** An overlay network request: 64-hex id from `n`, subnet 10.<80+n>.0.0/24, a fixed VNI. */
export function overlayNetwork(n: number, vni: number): CreateNetworkRequest {
  return overlayNetworkRequest({
    networkId: String(n).padStart(2, '0').repeat(32),
    name: `ov${n}`,
    subnet: `10.${80 + n}.0.0/24`,
    options: { 'com.docker.network.driver.overlay.vxlanid_list': String(vni) },
  })
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
  const { ifname } = await createAndJoin(d, net.networkId, endpointId, addr, ns)
  await sh(['ip', '-n', ns, 'addr', 'add', addr, 'dev', ifname])
  await sh(['ip', '-n', ns, 'link', 'set', ifname, 'up'])
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
