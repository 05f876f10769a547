/**
 * @packageDocumentation
 * The embedded DNS server for container name resolution
 */
export {}
