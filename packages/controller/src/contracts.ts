import type { IP, InterfaceAddress } from '@libnetwork/types'
import type { StaticRoute } from '@libnetwork/driverapi'

/** An interface to move into a sandbox and configure there. */
export interface SandboxInterfaceSpec {
  /** Name of the interface in the controller's namespace (from the driver's JoinResult). */
  srcName: string
  /** `srcName` is inside the sandbox already: rename and configure only. */
  inSandbox?: boolean
  /** Name inside the sandbox, e.g. `eth0`. */
  dstName: string
  address?: InterfaceAddress
  addressIPv6?: InterfaceAddress
  mac?: string
  routes: StaticRoute[]
}

export interface GatewaySpec {
  /** The sandbox interface the default route goes through. */
  dstName: string
  gateway?: IP
  gatewayIPv6?: IP
}

/**
 * The operating-system layer the controller needs for sandboxes (network namespaces). A key is
 * the namespace's name; `path(key)` is what drivers receive as the sandbox key.
 */
export interface SandboxOS {
  /** Create a namespace with loopback up; returns its path. */
  create(key: string): Promise<string>
  /** Remove the namespace; what is still inside goes with it. */
  destroy(key: string): Promise<void>
  path(key: string): string
  /** The keys of existing namespaces that start with `prefix`. */
  list(prefix: string): Promise<string[]>
  addInterface(key: string, spec: SandboxInterfaceSpec): Promise<void>
  /**
   * Take an interface out of the sandbox. Resolves once it is out of service (down, no
   * addresses, its name free); `deleted` settles when the kernel has deleted it (a veth end
   * takes its peer along), which may be later. A missing sandbox or interface is no error.
   */
  removeInterface(key: string, dstName: string): Promise<{ deleted: Promise<void> }>
  /** Interface names inside the sandbox, loopback excluded. */
  interfaces(key: string): Promise<string[]>
  /** Replace the default route(s); `undefined` removes them. */
  setGateway(key: string, gw: GatewaySpec | undefined): Promise<void>
  /** Release sockets and threads (kernel state stays); pending deletions finish first. */
  /** Resolves when background work (namespace removal) is done; throws if some failed. */
  settled?(): Promise<void>
  close?(): Promise<void>
}
