/**
 * @packageDocumentation
 * The driver compliance suite: the observable promises of the driver contract as test cases,
 * for driver authors. Framework-agnostic: give it a harness (`{ test(name, fn) }`) or take
 * the list of cases, and a `setup` that makes a host (drivers, requests, sandboxes).
 */
export { driverComplianceCases, runDriverCompliance, COMPLIANCE_CASE_IDS } from './suite.js'
export { sampleRequests, type SampleRequestOptions } from './requests.js'
export type { ComplianceCase, DriverHost, DriverSuiteOptions, Harness } from './types.js'
