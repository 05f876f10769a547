/**
 * @packageDocumentation
 * Key-value store contract with an embedded local backend (lmdb) and a global one (etcd v3),
 * plus a typed record layer with a watch-fed read cache.
 */
export type {
  Scope,
  KVPair,
  KVStore,
  WatchEvent,
  Watch,
  WatchOptions,
  AtomicPutOptions,
  AtomicDeleteOptions,
  BatchOp,
} from './contract.js'
export { DEFAULT_LIMITS } from './validate.js'
export type { Limits } from './validate.js'
export { LocalStore, localStore } from './local.js'
export type { LocalStoreOptions } from './local.js'
export { EtcdStore, etcdStore } from './etcd.js'
export type { EtcdStoreOptions } from './etcd.js'
export { EtcdLease } from './etcd-lease.js'
export { MemoryStore, memoryStore } from './memory.js'
export type { MemoryStoreOptions } from './memory.js'
export { RecordStore, jsonCodec, binaryCodec } from './records.js'
export type { Codec, StoredRecord, RecordStoreOptions } from './records.js'
