/**
 * @packageDocumentation
 * The embedded DNS server of a sandbox: answers A, AAAA, PTR and SRV for container names,
 * aliases and `tasks.<service>` from a synchronous record source, authoritatively; forwards
 * everything else to up to three upstream servers; UDP and TCP; serves sockets an injected
 * factory opened inside the sandbox's network namespace (or runs in a worker thread).
 */
export { Resolver } from './server.js'
export type { ResolverOptions, ResolverStats } from './server.js'
export type { UpstreamServer } from './options.js'
export type { SocketFactory, SocketSpec, SocketType } from './sockets.js'
export { RecordTable } from './records.js'
export type { RecordSource, RecordUpdate, HostAnswer, SrvAnswer, SrvTarget } from './records.js'
export { ResolverWorker, startResolverWorker } from './worker.js'
export type { ResolverWorkerOptions, NamespaceHook } from './worker.js'
export { reverseToAddress } from './answer.js'
