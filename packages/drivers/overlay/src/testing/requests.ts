import type { CreateNetworkRequest, Driver } from '@libnetwork/driverapi'
import { IPNet, InterfaceAddress } from '@libnetwork/types'
import { parseOverlayOptions } from '../options.js'

/** What `overlayNetworkRequest` needs: the rest of the request has the usual defaults. */
export interface OverlayNetworkSpec {
  networkId: string
  name: string
  /** An IPv4 subnet such as `10.90.0.0/24`; its first address is the gateway. */
  subnet: string
  /** Raw network options, as `parseOverlayOptions` takes them (upstream's labels). */
  options?: unknown
}

/** A `createNetwork` request for an IPv4 overlay network, not internal, without labels. */
export function overlayNetworkRequest(spec: OverlayNetworkSpec): CreateNetworkRequest {
  const pool = IPNet.parse(spec.subnet)
  return {
    networkId: spec.networkId,
    name: spec.name,
    options: parseOverlayOptions(spec.options ?? {}),
    ipv4: [{ pool, gateway: InterfaceAddress.of(pool.at(1), pool.prefix) }],
    ipv6: [],
    enableIPv6: false,
    internal: false,
    labels: {},
  }
}

/** The container's side of an endpoint made by `createAndJoin`. */
export interface JoinedEndpoint {
  /** The interface's name in the container namespace (it still needs its address and `up`). */
  ifname: string
  /** The endpoint's MAC address, as the driver chose it. */
  mac: string
}

/**
 * `createEndpoint` with address `address` (`IP/prefix`) and `join` into the named network
 * namespace `ns` (sandbox key `/run/netns/<ns>`).
 */
export async function createAndJoin(
  driver: Driver,
  networkId: string,
  endpointId: string,
  address: string,
  ns: string,
): Promise<JoinedEndpoint> {
  const { iface } = await driver.createEndpoint({
    networkId,
    endpointId,
    iface: { address: InterfaceAddress.parse(address) },
    options: {},
  })
  const r = await driver.join({
    networkId,
    endpointId,
    sandboxKey: `/run/netns/${ns}`,
    options: {},
  })
  if (!iface.mac) throw new Error(`the driver answered endpoint ${endpointId} without a MAC`)
  return { ifname: r.interfaces[0]!.srcName, mac: iface.mac }
}
