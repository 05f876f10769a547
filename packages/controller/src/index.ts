/**
 * @packageDocumentation
 * The Container Network Model controller: networks (of drivers), endpoints (on networks) and
 * sandboxes (network namespaces) that endpoints join. Drivers, IPAMs, the store and the sandbox
 * layer are injected; state is persisted and reconciled with the kernel on start.
 */
export { Controller } from './controller.js'
export type { ControllerOptions, RestoreSummary } from './controller.js'
export type {
  Ipam,
  IpamFactory,
  IpamPool,
  IpamPoolRequest,
  IpamAddressRequest,
  ControllerStore,
  SandboxOS,
  SandboxInterfaceSpec,
  GatewaySpec,
} from './contracts.js'
export type { ControllerEvents, ControllerEventName, Listener } from './events.js'
export type {
  IpamConfig,
  CreateNetworkOptions,
  NetworkSubnet,
  NetworkInfo,
  CreateEndpointOptions,
  EndpointInfo,
  ExtraHost,
  DnsConfig,
  CreateSandboxOptions,
  SandboxInfo,
  JoinOptions,
} from './model.js'
export type { DiscoveryHooks } from './state.js'
export {
  ObjectNotFoundError,
  NameConflictError,
  InUseError,
  InvalidConfigError,
  OverlapError,
} from './errors.js'
export { memoryStore } from './memory-store.js'
export { oslSandboxOS } from './osl-os.js'
export type { OslSandboxOSOptions } from './osl-os.js'
export { kvStore } from './kv-store.js'
export type { KVLike } from './kv-store.js'
export { serviceDiscovery } from './discovery.js'
export type { ServiceDiscoveryOptions } from './discovery.js'
