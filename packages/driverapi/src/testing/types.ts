import type { PortBinding } from '@libnetwork/types'
import type {
  CreateEndpointRequest,
  CreateNetworkRequest,
  Driver,
  EndpointOptions,
} from '../driver.js'

/**
 * One host to test a driver on, made fresh for every case by `DriverSuiteOptions.setup`: it
 * makes drivers (all on the same kernel, so a second one can `restore` what the first made)
 * and the requests that suit the driver.
 */
export interface DriverHost {
  /** A new driver instance on this host, with its components. */
  driver(): Driver
  /** The n-th valid network request (n = 0 or 1): distinct ids, names and pools. */
  network(n: number): CreateNetworkRequest
  /** The n-th endpoint of `net` (n = 0 or 1): distinct ids; addresses from the network's pools. */
  endpoint(net: CreateNetworkRequest, n: number): CreateEndpointRequest
  /** A sandbox endpoints can join: its key (e.g. a namespace path). Gone at `cleanup`. */
  sandbox(): Promise<string> | string
  /** Remove what the host made. The suite has stopped the drivers it made before. */
  cleanup?(): Promise<void> | void
}

export interface DriverSuiteOptions {
  /** Build a fresh host for one case. */
  setup(): Promise<DriverHost> | DriverHost
  /**
   * The driver holds at most one network at a time (null, host): a second one is refused
   * with a forbidden error.
   */
  singleNetwork?: boolean
  /**
   * Bindings the driver publishes for the first endpoint (added to its options): each gives at
   * least one bound port. Without them, the suite checks only the shape of what
   * `programExternalConnectivity` returns.
   */
  portBindings?: PortBinding[]
  /** Raw network options `parseNetworkOptions` must reject, besides non-objects. Default: one unknown key. */
  badOptions?: unknown[]
  /**
   * The driver has the global hooks (`allocateNetwork`, `freeNetwork`): check them (the
   * `global-hooks` case) and require them.
   */
  globalHooks?: boolean
  /** Cases to skip, by id, each with the reason (registered as skipped, with it). */
  skip?: Record<string, string>
}

/** One case of the suite: run it in any test framework; it throws on failure. */
export interface ComplianceCase {
  /** A stable id (for `skip`). */
  id: string
  /** What it checks, as a test name. */
  name: string
  run: () => Promise<void>
  /** Why it is skipped, when `DriverSuiteOptions.skip` names it. */
  skip?: string
}

/**
 * The smallest test-framework surface the suite needs: tap's `t` and node:test's `test`
 * fit as they are (a skipped case is registered with `{ skip: reason }`, as both take it).
 * When the framework hands the function a context with `pass(message)` (tap), a case that
 * kept every promise reports one passing assertion there.
 */
export interface Harness {
  test(name: string, fn: (t?: unknown) => Promise<void>): unknown
  test(name: string, options: { skip: string }, fn: (t?: unknown) => Promise<void>): unknown
}

/** What a case works with: the host, the drivers it made (stopped at the end). */
export interface CaseContext {
  host: DriverHost
  opts: DriverSuiteOptions
  /** A new driver on the host, stopped when the case ends. */
  driver(): Driver
  /** Stop a driver now (the end-of-case stop then leaves it alone). */
  stop(d: Driver): Promise<void>
}

/** A case as the suite declares it: run on a fresh host; `when` leaves it out for some drivers. */
export interface SuiteCase {
  id: string
  name: string
  when?: (opts: DriverSuiteOptions) => boolean
  run(ctx: CaseContext): Promise<void>
}

/** Endpoint options with the suite's bindings added (for the first endpoint). */
export function withBindings(o: EndpointOptions, bindings?: PortBinding[]): EndpointOptions {
  return bindings === undefined
    ? o
    : { ...o, portBindings: [...(o.portBindings ?? []), ...bindings] }
}
