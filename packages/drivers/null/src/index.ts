/**
 * @packageDocumentation
 * The null network driver
 */
export {}
