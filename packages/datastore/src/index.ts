/**
 * @packageDocumentation
 * Key-value store contract with an embedded local backend and etcd
 */
export {}
