/**
 * @packageDocumentation
 * rtnetlink for Node.js in TypeScript: links, addresses, routes, neighbours, namespaces
 */
export {}
