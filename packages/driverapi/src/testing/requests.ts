import { InterfaceAddress, type IPNet } from '@libnetwork/types'
import type { CreateEndpointRequest, CreateNetworkRequest } from '../driver.js'
import type { DriverHost } from './types.js'

export interface SampleRequestOptions {
  /** Network names are `<name><n>`. */
  name: string
  /**
   * The n-th network's IPv4 pool, for drivers that need IPAM: the gateway is its first address
   * and endpoint n gets address 2 + n. Without it, requests carry no pools and no addresses.
   */
  pool?: (n: number) => IPNet
}

/**
 * Plain valid requests for `DriverHost.network` and `DriverHost.endpoint`: distinct 64-character
 * ids, no options, no labels.
 */
export function sampleRequests(o: SampleRequestOptions): Pick<DriverHost, 'network' | 'endpoint'> {
  return {
    network: (n): CreateNetworkRequest => {
      const pool = o.pool?.(n)
      return {
        networkId: `${n}`.repeat(64),
        name: `${o.name}${n}`,
        options: {},
        ipv4: pool ? [{ pool, gateway: InterfaceAddress.of(pool.at(1), pool.prefix) }] : [],
        ipv6: [],
        enableIPv6: false,
        internal: false,
        labels: {},
      }
    },
    endpoint: (net, n): CreateEndpointRequest => {
      const pool = net.ipv4[0]?.pool
      return {
        networkId: net.networkId,
        endpointId: `e${n}`.repeat(32),
        iface: pool ? { address: InterfaceAddress.of(pool.at(2 + n), pool.prefix) } : {},
        options: {},
      }
    },
  }
}
