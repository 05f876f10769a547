/**
 * @packageDocumentation
 * The Container Network Model controller: networks (of drivers), endpoints (on networks) and
 * sandboxes (network namespaces) that endpoints join. Drivers and IPAMs (static or found at run
 * time), the stores and the sandbox layer are injected; state is persisted with
 * compare-and-swap and reconciled with the kernel on start.
 */
export { Controller } from './controller.js'
export type { ControllerOptions } from './controller.js'
export type { RestoreSummary } from './restore.js'
export type { SandboxOS, SandboxInterfaceSpec, GatewaySpec } from './contracts.js'
export type { RecordScope } from './records.js'
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
  GatewayRole,
} from './model.js'
export type { DiscoveryHooks } from './state.js'
export {
  ObjectNotFoundError,
  NameConflictError,
  InUseError,
  InvalidConfigError,
  OverlapError,
} from './errors.js'
export { oslSandboxOS } from './osl-os.js'
export type { OslSandboxOSOptions } from './osl-os.js'
export { serviceDiscovery } from './discovery.js'
export type { ServiceDiscoveryOptions } from './discovery.js'
export type { DnsServing } from './dns.js'
export type { RemoteNameRecord, RemoteEntry } from './remote.js'
