/**
 * @packageDocumentation
 * The embedded DNS server of a sandbox: answers A, AAAA, PTR and SRV for container names,
 * aliases and `tasks.<service>` from a synchronous record source, authoritatively; forwards
 * everything else to up to three upstream servers; UDP and TCP; runs in a worker thread that
 * entered the sandbox's network namespace.
 */
export { Resolver } from './server.js'
export type { ResolverOptions, ResolverStats, UpstreamServer } from './server.js'
export { RecordTable } from './records.js'
export type { RecordSource, RecordUpdate, HostAnswer, SrvAnswer, SrvTarget } from './records.js'
export { ResolverWorker, startResolverWorker } from './worker.js'
export type { ResolverWorkerOptions, NamespaceHook } from './worker.js'
export { reverseToAddress } from './answer.js'
