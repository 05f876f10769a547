import { openSocketInNetns, type InetSocketSpec } from '@libnetwork/netlink'

/** What socket to open in a sandbox: `udp4`/`udp6`/`tcp4`/`tcp6`, address, port, listen. */
export type SandboxSocketSpec = InetSocketSpec

/**
 * Open a UDP or TCP socket inside a sandbox's network namespace, for a service that must live
 * there, such as the embedded DNS server at 127.0.0.11. The calling thread enters the namespace,
 * opens and binds the socket (and listens, for TCP) and comes back, all synchronously; the
 * socket keeps that namespace for life. Returns the fd for Node to adopt: `dgram`'s
 * `bind({ fd })`, `net`'s `listen({ fd })`. `sandbox` is the namespace's name or path.
 * Errors: BadRequestError (bad spec), NotFoundError (no such namespace), ConflictError (address
 * in use); no fd is left open on failure.
 */
export function openSandboxSocket(sandbox: string, spec: SandboxSocketSpec): number {
  return openSocketInNetns(sandbox, spec)
}
