/**
 * @packageDocumentation
 * Host port allocation per IP and protocol
 */
export {}
