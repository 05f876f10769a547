import type { PortAllocator } from '@libnetwork/portallocator'
import type { UserlandProxyOptions } from '@libnetwork/portmapper'
import type { BridgeKernel } from './kernel.js'

/** User configuration of the bridge driver (typed; nothing here is a label string). */
export interface BridgeDriverConfig {
  /** Work inside this named network namespace (the "host" of the containers). */
  netns?: string
  /** Program iptables (default true). Without it, port bindings are not published. */
  iptables?: boolean
  /**
   * Program ip6tables for networks with IPv6 (default true, as dockerd since 27.0):
   * forwarding, ICC, isolation, internal and masquerade rules, and published ports on `::`.
   */
  ip6tables?: boolean
  /**
   * Serve published tcp/udp ports through the userland proxy too (default true, as dockerd's
   * `userland-proxy`): it answers host-local traffic to 127.0.0.1 and ::1 and containers
   * reaching a host address. With false, the kernel DNATs 127.0.0.1 as well (`route_localnet`
   * on the bridges) and containers reach published ports by hairpin NAT.
   */
  userlandProxy?: boolean
  /** Options of the userland proxy process (it runs in `netns`). */
  proxyOptions?: Omit<UserlandProxyOptions, 'netns'>
  /** Hears faults of the userland proxy (a listener failing, the process dying). */
  onError?: (err: Error) => void
  /** Turn on IPv4/IPv6 forwarding in the namespace (default true). */
  ipForward?: boolean
  /** Hairpin mode on the bridge ports of endpoints with published ports when there is no
   * userland proxy (default true). */
  hairpin?: boolean
  /** Kernel I/O; default rtnetlink (`netlinkKernel`) in `netns`; `ipKernel` uses iproute2. */
  kernel?: BridgeKernel
  /** Host port allocation; default a fresh allocator over the kernel's dynamic range. */
  portAllocator?: PortAllocator
}
