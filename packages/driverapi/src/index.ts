/**
 * @packageDocumentation
 * The network driver contract
 */
export {}
