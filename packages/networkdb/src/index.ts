/**
 * @packageDocumentation
 * A network-scoped, eventually consistent gossip database
 */
export * from './proto.js'
