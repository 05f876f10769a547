/**
 * @packageDocumentation
 * The host network driver
 */
export {}
