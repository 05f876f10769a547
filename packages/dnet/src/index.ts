/**
 * @packageDocumentation
 * dnet: the libnetwork daemon, its REST API and CLI
 */
export {}
