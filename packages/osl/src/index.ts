/**
 * @packageDocumentation
 * OS layer for sandboxes: network namespaces with interfaces, routes and neighbours
 */
export {}
