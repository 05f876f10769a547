/**
 * @packageDocumentation
 * Read, filter, build and write resolv.conf files
 */
export {}
