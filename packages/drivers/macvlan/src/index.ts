/**
 * @packageDocumentation
 * The macvlan network driver: each container interface is a macvlan child of a host interface
 * (the parent), created right inside the container's namespace, with a static address from
 * the network's subnets, so containers appear as hosts on the parent's LAN. Modes bridge,
 * private, vepa and passthru; 802.1Q and dummy parents where the kernel has them.
 */
export { macvlan } from './driver.js'
export type { MacvlanDriverConfig } from './driver.js'
export { parseMacvlanOptions, LABELS, MODES } from './options.js'
export type { MacvlanNetworkOptions, MacvlanMode } from './options.js'
export { netlinkMacvlanKernel } from './kernel.js'
export type { MacvlanKernel, MacvlanSpec, HostLink } from './kernel.js'
export { KernelSupportError } from './errors.js'
