/**
 * @packageDocumentation
 * The cluster agent: one host's gossip membership and NetworkDB, the `ClusterTables` view of
 * them that the controller and drivers use, upstream's `EndpointRecord` codec, and the
 * endpoint announcements that turn other hosts' containers into name records.
 */
export { ClusterAgent } from './agent.js'
export type { ClusterMember, MemberChange } from './agent.js'
export { DEFAULT_PORT } from './config.js'
export type { ClusterAgentConfig } from './config.js'
export type { PeerStatus } from './peers.js'
export {
  ENDPOINT_TABLE,
  ENDPOINT_IPV6_FIELD,
  endpointRecord,
  encodeEndpointRecord,
  decodeEndpointRecord,
} from './endpoint-record.js'
export type { EndpointRecord, PortConfig, PortProtocol } from './endpoint-record.js'
export { EndpointSync, GO_NIL_IP, recordOf, nameRecordOf } from './endpoints.js'
export type { LocalEndpoint, NameRecord, EndpointSyncOptions } from './endpoints.js'
