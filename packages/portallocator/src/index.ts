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
  PROTOCOLS,
} from './allocator.js'
export type { Protocol, PortRange, PortAllocatorOptions, Allocation } from './allocator.js'
