/**
 * @packageDocumentation
 * Helpers for tests of the overlay driver: `FakeCluster` (the cluster tables of several drivers
 * as one in-memory map, so drivers in one process act as the hosts of a cluster),
 * `overlayNetworkRequest` (a `createNetwork` request from a subnet and options) and
 * `createAndJoin` (an endpoint joined into a named network namespace).
 */
export { FakeCluster } from './cluster.js'
export { overlayNetworkRequest, createAndJoin } from './requests.js'
export type { OverlayNetworkSpec, JoinedEndpoint } from './requests.js'
