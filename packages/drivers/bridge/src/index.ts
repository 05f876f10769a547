/**
 * @packageDocumentation
 * The bridge network driver
 */
export {}
