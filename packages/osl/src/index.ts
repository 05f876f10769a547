/**
 * @packageDocumentation
 * OS layer for sandboxes: network namespaces holding interfaces, addresses, gateways, static
 * routes, neighbour entries and sysctls, with undo on failure and garbage collection.
 */
export { Osl, DEFAULT_SANDBOX_DIR } from './osl.js'
export type { OslOptions } from './osl.js'
export { Sandbox } from './sandbox.js'
export type {
  InterfaceOptions,
  JoinOptions,
  VethJoinOptions,
  SandboxInterface,
  SandboxRoute,
  NeighborEntry,
  SandboxInfo,
} from './types.js'
export { NamespaceGC } from './gc.js'
export type { NamespaceGCOptions } from './gc.js'
export { openSandboxSocket } from './sockets.js'
export type { SandboxSocketSpec } from './sockets.js'
export { realNetlink } from './ops.js'
export type { NetlinkOps, NetlinkFactory } from './ops.js'
