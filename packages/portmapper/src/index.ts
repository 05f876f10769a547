/**
 * @packageDocumentation
 * Publish container ports: host ports from a PortAllocator, DNAT + hairpin MASQUERADE +
 * FORWARD ACCEPT rules in one iptables batch, and one userland proxy process for all ports.
 */
export { PortMapper } from './mapper.js'
export { serializeMappings, parseMappings } from './bindings.js'
export type { PortMapperOptions } from './mapper.js'
export type { MapRequest } from './bindings.js'
export { UserlandProxy, DEFAULT_UDP_IDLE_MS, proxyId } from './proxy.js'
export type { UserlandProxyOptions, ProxyTarget, ProxyStats } from './proxy.js'
export { mappingRules, anchorRules, chainNames } from './rules.js'
export type { PortMapping, ChainNames } from './rules.js'
