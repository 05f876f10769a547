/**
 * Test helpers of @libnetwork/datastore: a throw-away etcd server.
 */
export { startEtcd, freePort } from './etcd-server.js'
export type { EtcdServer, EtcdServerOptions } from './etcd-server.js'
