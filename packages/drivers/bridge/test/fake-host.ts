// A bridge "host" made of fakes (no root): one FakeKernel and one FakeIptables shared by every
// driver made on it, so a second driver can restore what the first made.
import type { CreateNetworkRequest, Driver } from '@libnetwork/driverapi'
import type { DriverHost } from '@libnetwork/driverapi/testing'
import { IPNet, InterfaceAddress, type Logger } from '@libnetwork/types'
import { bridge, parseBridgeOptions, type BridgeDriverConfig } from '../src/index.js'
import { FakeIptables, FakeKernel } from '../src/testing/index.js'

export interface FakeHost extends DriverHost {
  kernel: FakeKernel
  iptables: FakeIptables
  /** What the drivers logged at error level. */
  errors: string[]
}

/** A logger that keeps error lines. */
export function keepErrors(errors: string[]): Logger {
  return {
    debug() {},
    info() {},
    warn() {},
    error: (msg) => void errors.push(msg),
  }
}

/** A network request: pool 10.<n>.0.0/24 (gateway .1), options parsed from `raw`. */
export function fakeNet(n: number, raw: Record<string, unknown> = {}): CreateNetworkRequest {
  const pool = IPNet.parse(`10.${n}.0.0/24`)
  return {
    networkId: `${n}`.repeat(64),
    name: `net${n}`,
    options: parseBridgeOptions(raw),
    ipv4: [{ pool, gateway: InterfaceAddress.of(pool.at(1), 24) }],
    ipv6: [],
    enableIPv6: false,
    internal: false,
    labels: {},
  }
}

export function fakeHost(config: BridgeDriverConfig = { userlandProxy: false }): FakeHost {
  const kernel = new FakeKernel()
  const iptables = new FakeIptables()
  const errors: string[] = []
  let sandboxes = 0
  return {
    kernel,
    iptables,
    errors,
    driver: (): Driver =>
      bridge(config, { kernel, iptablesRunner: iptables })({ logger: keepErrors(errors) }),
    network: (n) => fakeNet(n),
    endpoint: (net, n) => ({
      networkId: net.networkId,
      endpointId: `${String.fromCharCode(97 + n)}${net.networkId}`.slice(0, 64),
      iface: { address: InterfaceAddress.of(net.ipv4[0]!.pool.at(2 + n), 24) },
      options: {},
    }),
    sandbox: () => `/run/netns/fake-sandbox-${++sandboxes}`,
  }
}
