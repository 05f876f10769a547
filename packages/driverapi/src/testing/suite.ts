import type { Driver } from '../driver.js'
import { endpointCases } from './endpoints.js'
import { lifecycleCases } from './lifecycle.js'
import { networkCases } from './networks.js'
import type {
  CaseContext,
  ComplianceCase,
  DriverSuiteOptions,
  Harness,
  SuiteCase,
} from './types.js'

const ALL: SuiteCase[] = [...networkCases, ...endpointCases, ...lifecycleCases]

/** Run one case on a fresh host; every driver it made is stopped, the host cleaned up. */
async function runCase(c: SuiteCase, opts: DriverSuiteOptions): Promise<void> {
  const host = await opts.setup()
  const live = new Set<Driver>()
  const stop = async (d: Driver) => {
    live.delete(d)
    await d.stop()
  }
  const ctx: CaseContext = {
    host,
    opts,
    driver() {
      const d = host.driver()
      live.add(d)
      return d
    },
    stop,
  }
  let failure: unknown
  try {
    await c.run(ctx)
  } catch (err) {
    failure = err
  }
  for (const d of [...live]) {
    // a failed case may leave background work failing too: its first error is the one to see
    await stop(d).catch((err: unknown) => (failure ??= err))
  }
  await Promise.resolve(host.cleanup?.()).catch((err: unknown) => (failure ??= err))
  if (failure !== undefined)
    throw failure instanceof Error ? failure : new Error('case failed', { cause: failure })
}

/**
 * The driver contract's observable promises as a list of cases, each run on a fresh host from
 * `opts.setup`. Run them in any framework (each `run` throws on failure), or use
 * `runDriverCompliance`.
 */
export function driverComplianceCases(opts: DriverSuiteOptions): ComplianceCase[] {
  return ALL.filter((c) => c.when?.(opts) ?? true).map((c) => ({
    id: c.id,
    name: `${c.id}: ${c.name}`,
    run: () => runCase(c, opts),
    ...(opts.skip?.[c.id] !== undefined ? { skip: opts.skip[c.id] } : {}),
  }))
}

/**
 * Register every case with a test framework: `harness.test(name, fn)` (tap's `t`, node:test's
 * `test`, or your own loop); a skipped case as `harness.test(name, { skip: reason }, fn)`.
 */
export function runDriverCompliance(harness: Harness, opts: DriverSuiteOptions): void {
  for (const c of driverComplianceCases(opts)) {
    const fn = async (t?: unknown) => {
      await c.run()
      if (typeof t === 'object' && t !== null && 'pass' in t && typeof t.pass === 'function')
        (t as { pass(msg: string): unknown }).pass(`${c.id}: every promise kept`)
    }
    if (c.skip !== undefined) harness.test(c.name, { skip: c.skip }, fn)
    else harness.test(c.name, fn)
  }
}

/** The ids of every case, in the order they run (for `skip`). */
export const COMPLIANCE_CASE_IDS: readonly string[] = Object.freeze(ALL.map((c) => c.id))
