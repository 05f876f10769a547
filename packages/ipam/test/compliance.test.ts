// The IPAM compliance suite (@libnetwork/ipam/testing) against this package's drivers:
// DefaultIpam in memory, on an in-process store, on the real local store of
// @libnetwork/datastore, and the null IPAM (the cases that apply to a driver without addresses).
import t, { type Test } from 'tap'
import { localStore } from '@libnetwork/datastore'
import type { LocalStore } from '@libnetwork/datastore'
import { DefaultIpam, NullIpam } from '../src/index.js'
import type { IpamDriver } from '../src/index.js'
import {
  IPAM_COMPLIANCE_CASES,
  ipamComplianceCases,
  runIpamCompliance,
} from '../src/testing/index.js'
import type { IpamHarness } from '../src/testing/index.js'
import { MemoryStore } from './fixtures/memory-store.js'

const harness = (t: Test): IpamHarness => ({ test: (name, fn) => t.test(name, fn) })

t.test('DefaultIpam in memory', async (t) => {
  runIpamCompliance(harness(t), { make: () => new DefaultIpam() })
})

t.test('DefaultIpam on an in-process store', async (t) => {
  runIpamCompliance(harness(t), { make: () => new DefaultIpam({ store: new MemoryStore() }) })
})

t.test('DefaultIpam on the local store of @libnetwork/datastore', async (t) => {
  const stores = new Map<IpamDriver, LocalStore>()
  const dir = t.testdir()
  let n = 0
  runIpamCompliance(harness(t), {
    make: () => {
      const store = localStore({ path: `${dir}/db-${n++}`, durability: 'commit' })
      const d = new DefaultIpam({ store })
      stores.set(d, store)
      return d
    },
    cleanup: async (d) => {
      await stores.get(d)?.close()
    },
  })
})

t.test('NullIpam', async (t) => {
  runIpamCompliance(harness(t), {
    make: () => new NullIpam(),
    features: {
      addresses: false,
      explicitPools: false,
      subPools: false,
      v6: false,
      predefinedPools: false,
      strictRelease: false,
    },
  })
})

t.test(
  'the suite selects cases by feature and skip list, and catches a broken driver',
  async (t) => {
    const all = ipamComplianceCases({ make: () => new DefaultIpam() }).map((c) => c.name)
    t.ok(all.length >= 14, `${all.length} cases for a full driver`)
    t.same(
      all,
      IPAM_COMPLIANCE_CASES.filter((n) => !n.startsWith('a driver that manages no addresses')),
    )
    const nul = ipamComplianceCases({
      make: () => new NullIpam(),
      features: { addresses: false, explicitPools: false, strictRelease: false },
    }).map((c) => c.name)
    t.ok(nul.includes('a driver that manages no addresses answers undefined and ignores releases'))
    t.notOk(nul.some((n) => n.startsWith('addresses')))
    const skipped = ipamComplianceCases({
      make: () => new DefaultIpam(),
      skip: ['releasing a pool twice is not found'],
    })
    t.equal(skipped.length, all.length - 1)

    // A driver that hands out the same address twice fails the address case with a clear message.
    class Repeating extends DefaultIpam {
      override async requestAddress(poolId: string) {
        const a = await super.requestAddress(poolId)
        await super.releaseAddress(poolId, a.ip)
        return a
      }
    }
    const broken = ipamComplianceCases({ make: () => new Repeating() }).find((c) =>
      c.name.startsWith('addresses:'),
    )!
    await t.rejects(broken.run(), { name: 'IpamComplianceError', message: /handed out twice/ })
    // One that ignores an aborted signal fails the abort case.
    class Deaf extends DefaultIpam {
      override requestPool(req: Parameters<DefaultIpam['requestPool']>[0] = {}) {
        const { signal: _ignored, ...rest } = req
        return super.requestPool(rest)
      }
    }
    const deaf = ipamComplianceCases({ make: () => new Deaf() }).find((c) =>
      c.name.startsWith('an aborted signal rejects'),
    )!
    await t.rejects(deaf.run(), { name: 'IpamComplianceError', message: /AbortError/ })
    // A failing case still runs cleanup.
    let cleaned = 0
    const c = ipamComplianceCases({ make: () => new Repeating(), cleanup: () => void cleaned++ })
    await Promise.allSettled(c.map((x) => x.run()))
    t.equal(cleaned, c.length, 'cleanup ran after every case')
  },
)
