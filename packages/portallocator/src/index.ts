/**
 * @packageDocumentation
 * Host port allocation per IP and protocol: specific ports, any port of the kernel's dynamic
 * range, or any port of a given range; no global state, every allocator is an instance.
 */
export {
  PortAllocator,
  readDynamicRange,
  DEFAULT_DYNAMIC_RANGE,
  PORT_RANGE_FILE,
} from './allocator.js'
export type { PortAllocatorOptions, Allocation } from './allocator.js'
// Declared in @libnetwork/types; re-exported for the allocator's callers.
export { PROTOCOLS } from '@libnetwork/types'
export type { Protocol, PortRange } from '@libnetwork/types'
