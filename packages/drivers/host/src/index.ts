/**
 * @packageDocumentation
 * The host network driver. Sandboxes share the host's network namespace: no interfaces are created or moved, published ports are the host's own.
 * One network at most, as upstream. It behaves as the null driver under its own type name.
 */
import type { DriverFactory } from '@libnetwork/driverapi'
import { singleNetworkDriver } from '@libnetwork/driver-null'

/** Options of the host driver: there are none. */
export type HostDriverOptions = Record<string, never>

/** A factory for the host driver. */
export function hostDriver(): DriverFactory {
  return singleNetworkDriver('host', { sharesHostNetwork: true })
}
