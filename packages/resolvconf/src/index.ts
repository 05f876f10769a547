/**
 * @packageDocumentation
 * Read, filter, build and write resolv.conf files for containers: the host's file (with
 * systemd-resolved detection), nameserver filtering with public fallbacks, user overrides,
 * the embedded DNS server's address, change detection by hash and atomic writes.
 */
export { parseResolvConf, formatResolvConf, mergeOptions, emptyResolvConf } from './parse.js'
export type { ResolvConf } from './parse.js'
export {
  filterNameservers,
  buildContainerResolvConf,
  validateSearchDomain,
  validateOption,
  DEFAULT_IPV4_NAMESERVERS,
  DEFAULT_IPV6_NAMESERVERS,
  EMBEDDED_DNS_ADDRESS,
} from './build.js'
export type { FilterResult, ContainerDNSOptions, ContainerResolvConf } from './build.js'
export {
  readHostResolvConf,
  writeContainerResolvConf,
  atomicWriteFile,
  contentHash,
  hashPath,
  isSystemdResolvedStub,
  DEFAULT_RESOLV_CONF_PATH,
  SYSTEMD_RESOLVED_PATH,
} from './file.js'
export type { HostResolvConf, HostResolvConfOptions, UpdateOutcome } from './file.js'
