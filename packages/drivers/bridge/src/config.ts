import type { Runner } from '@libnetwork/iptables'
import type { PortAllocator } from '@libnetwork/portallocator'
import type { UserlandProxyOptions } from '@libnetwork/portmapper'
import type { BridgeKernel } from './kernel.js'

/**
 * User configuration of the bridge driver: the host-wide choices dockerd takes as flags
 * (typed; nothing here is a label string). Collaborators go in `BridgeDeps`.
 */
export interface BridgeDriverConfig {
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
  /** Options of the userland proxy process (it runs in the driver's namespace). */
  proxyOptions?: Omit<UserlandProxyOptions, 'netns' | 'onError'>
  /**
   * Who owns the driver's links, e.g. a daemon instance's id (1-32 of `[A-Za-z0-9_.-]`). It
   * goes into each link's alias (`libnetwork:<owner>:<id>`), and restore removes only stale
   * links of the same owner: another daemon's bridges and veths in the namespace are left alone.
   * Without it the aliases are `libnetwork:<id>` and restore removes stale links of that form.
   */
  owner?: string
  /** Turn on IPv4/IPv6 forwarding in the namespace (default true). */
  ipForward?: boolean
  /** Hairpin mode on the bridge ports of endpoints with published ports when there is no
   * userland proxy (default true). */
  hairpin?: boolean
}

/**
 * What the bridge driver works with, owned by whoever composes it (the daemon, a test):
 * where it works and the narrow interfaces all its kernel I/O goes through. Faults of
 * background work (port removals, network removals, the proxy) go to the `logger` of the
 * driver's components.
 */
export interface BridgeDeps {
  /** Work inside this named network namespace (the "host" of the containers). */
  netns?: string
  /** Link, address and sysctl I/O; default rtnetlink (`netlinkKernel({ netns })`). */
  kernel?: BridgeKernel
  /**
   * Runs the iptables, ip6tables and conntrack commands; default spawns them (inside
   * `netns`). A fake (`@libnetwork/driver-bridge/testing`) makes the rules testable without
   * root. The userland proxy is a real process either way: turn it off with a fake runner.
   */
  iptablesRunner?: Runner
  /** Host port allocation; default a fresh allocator over the kernel's dynamic range. */
  portAllocator?: PortAllocator
}
