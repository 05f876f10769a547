/**
 * @packageDocumentation
 * Publish container ports: DNAT rules and a userland proxy
 */
export {}
