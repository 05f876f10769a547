// The driver compliance suite itself: its export surface, a reference driver that passes
// every case, and broken drivers each caught by the case that checks what they break.
import t from 'tap'
import { IPNet } from '@libnetwork/types'
import {
  COMPLIANCE_CASE_IDS,
  driverComplianceCases,
  runDriverCompliance,
  sampleRequests,
  type DriverHost,
  type DriverSuiteOptions,
} from '../src/testing/index.js'
import { memoryDriver, type Break } from './fixtures/memory-driver.js'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/testing/index.js')).sort(), [
    'COMPLIANCE_CASE_IDS',
    'driverComplianceCases',
    'runDriverCompliance',
    'sampleRequests',
  ])
})

const host = (breaks?: Break): DriverHost => ({
  driver: () => memoryDriver(breaks),
  ...sampleRequests({ name: 'net', pool: (n) => IPNet.parse(`10.${n}.0.0/24`) }),
  sandbox: () => '/run/netns/sandbox',
})

const opts = (breaks?: Break): DriverSuiteOptions => ({
  setup: () => host(breaks),
  globalHooks: true,
  portBindings: [
    { protocol: 'tcp', port: 80, hostPort: 8080 },
    { protocol: 'udp', port: 53 },
  ],
})

t.test('the reference driver passes every case', async (t) => {
  const cases = driverComplianceCases(opts())
  t.same(
    cases.map((c) => c.id),
    COMPLIANCE_CASE_IDS,
    'every case applies to a driver with global hooks',
  )
  for (const c of cases) await t.resolves(c.run(), c.name)
})

t.test('cases for global hooks only come with globalHooks', async (t) => {
  const ids = driverComplianceCases({ setup: () => host() }).map((c) => c.id)
  t.notOk(ids.includes('global-hooks'))
  t.equal(ids.length, COMPLIANCE_CASE_IDS.length - 1)
})

t.test('each broken promise is caught by its case', async (t) => {
  const caught: Array<[Break, string]> = [
    ['network-conflict', 'network-conflict'],
    ['endpoint-conflict', 'endpoint-lifecycle'],
    ['busy-delete', 'network-busy'],
    ['signal', 'aborted-signal'],
    ['restore-ports', 'restore'],
    ['revoke', 'external-connectivity'],
    ['join-shape', 'join-leave'],
    ['parse', 'parse-options'],
  ]
  for (const [mutant, id] of caught) {
    const c = driverComplianceCases(opts(mutant)).find((x) => x.id === id)!
    await t.rejects(c.run(), { name: 'AssertionError' }, `${mutant} fails ${id}`)
  }
})

t.test('runDriverCompliance registers cases, skipped ones with their reason', async (t) => {
  const seen: string[] = []
  const runs: Array<Promise<void>> = []
  const passes: string[] = []
  runDriverCompliance(
    {
      test(name: string, a: unknown, b?: unknown) {
        const skip = typeof a === 'object' ? (a as { skip: string }).skip : undefined
        seen.push(skip === undefined ? name : `${name} [skip: ${skip}]`)
        const ctx = { pass: (msg: string) => void passes.push(msg) }
        if (skip === undefined) runs.push((a as (t: unknown) => Promise<void>)(ctx))
        else t.type(b, 'function', 'a skipped case still hands its function')
      },
    },
    { ...opts(), skip: { restore: 'no records in this test' } },
  )
  await Promise.all(runs)
  t.equal(seen.length, COMPLIANCE_CASE_IDS.length)
  t.equal(passes.length, COMPLIANCE_CASE_IDS.length - 1, 'one pass reported per case run')
  t.ok(passes.includes('join-leave: every promise kept'))
  t.ok(
    seen.includes(
      'restore: restore: a new driver takes the records, reports, and carries on from them [skip: no records in this test]',
    ),
  )
})

t.test('a host whose cleanup fails fails the case', async (t) => {
  const [c] = driverComplianceCases({
    setup: () => ({ ...host(), cleanup: () => Promise.reject(new Error('cleanup broke')) }),
  })
  await t.rejects(c!.run(), { message: 'cleanup broke' })
})
