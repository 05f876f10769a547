/**
 * @packageDocumentation
 * The Container Network Model controller: networks, endpoints, sandboxes
 */
export {}
