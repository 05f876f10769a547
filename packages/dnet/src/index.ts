/**
 * @packageDocumentation
 * dnet: the libnetwork daemon (REST API over a unix socket or loopback TCP) and its CLI.
 */
export { ApiServer, MAX_BODY_BYTES } from './api/server.js'
export type { ApiServerOptions } from './api/server.js'
export { openapi } from './api/openapi.js'
export { routes } from './api/routes.js'
export { schemas } from './api/schemas.js'
export type * from './backend.js'
export { parseConfig, loadConfig, defaults, parseHostPort } from './config.js'
export type { DaemonConfig } from './config.js'
export type { TlsFiles, TlsMaterial } from './tls.js'
export { Daemon } from './daemon.js'
export type { BackendFactory, BackendHandle } from './daemon.js'
export { createLogger } from './log.js'
export type { Logger, Level } from './log.js'
export { runCli, DEFAULT_HOST } from './cli/main.js'
export { parsePublish } from './cli/commands.js'
