/**
 * @packageDocumentation
 * The IPAM compliance suite: the `IpamDriver` contract's observable promises as tests, for any
 * test runner. Give it a harness with `test(name, fn)` and a factory for the driver under test.
 *
 * @example
 * ```ts
 * import t from 'tap'
 * import { DefaultIpam } from '@libnetwork/ipam'
 * import { runIpamCompliance } from '@libnetwork/ipam/testing'
 * runIpamCompliance({ test: (name, fn) => t.test(name, fn) }, { make: () => new DefaultIpam() })
 * ```
 */
import { ipamComplianceCases } from './cases.js'
import type { IpamSuiteOptions } from './cases.js'

export { ipamComplianceCases, IPAM_COMPLIANCE_CASES } from './cases.js'
export type { IpamCase, IpamFeatures, IpamSuiteOptions } from './cases.js'
export { ComplianceError } from './check.js'

/** The one thing the suite needs from a test runner (tap's `t`, node:test's `test`, …). */
export interface IpamHarness {
  test(name: string, fn: () => Promise<void>): unknown
}

/** Register every case of the suite with `harness`, prefixed `ipam compliance: `. */
export function runIpamCompliance(harness: IpamHarness, options: IpamSuiteOptions): void {
  for (const c of ipamComplianceCases(options)) harness.test(`ipam compliance: ${c.name}`, c.run)
}
