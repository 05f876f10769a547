/**
 * @packageDocumentation
 * The bridge network driver: a Linux bridge per network with the gateway address on it, a veth
 * pair per endpoint, iptables for masquerade, inter-container communication, isolation between
 * networks, internal networks and published ports.
 */
export { bridge } from './driver.js'
export { macFor } from './model.js'
export type { BridgeDriverConfig, BridgeDeps } from './config.js'
export { parseBridgeOptions, LABELS } from './options.js'
export type { BridgeNetworkOptions } from './options.js'
export { ipKernel } from './kernel.js'
export type { BridgeKernel, BridgeSpec, VethSpec, LinkInfo } from './kernel.js'
export { CHAINS } from './firewall.js'
export { netlinkKernel } from './netlink-kernel.js'
