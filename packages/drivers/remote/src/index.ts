/**
 * @packageDocumentation
 * Remote drivers: networks and IPAM served by plugins that speak Docker's plugin protocol v1.
 * Plugins are found by name (`/run/docker/plugins/<name>.sock`, `<name>.spec` or `<name>.json`
 * under `/etc/docker/plugins` and `/usr/lib/docker/plugins`, all configurable), activated with
 * `/Plugin.Activate`, and called over HTTP with the plugin content type. Their `{"Err": …}`
 * answers become typed errors. `PluginRegistry` gives the controller's driver and IPAM
 * resolvers.
 */
export { PluginClient } from './client.js'
export type { PluginClientOptions, CallOptions } from './client.js'
export {
  findPlugin,
  listPlugins,
  parseSpecUrl,
  addressUrl,
  DEFAULT_SOCKET_DIRS,
  DEFAULT_SPEC_DIRS,
} from './discovery.js'
export type { DiscoveryOptions, PluginAddress } from './discovery.js'
export { remoteDriver, fetchCapability } from './driver.js'
export type { RemoteDriver, NodeInfo } from './driver.js'
export { remoteIpam, fetchIpamCapabilities } from './ipam.js'
export { PluginRegistry } from './registry.js'
export type { PluginRegistryOptions, PluginInfo } from './registry.js'
export { PluginErrorCode } from './errors.js'
