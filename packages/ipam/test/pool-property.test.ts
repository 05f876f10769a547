import t from 'tap'
import fc from 'fast-check'
import { IP, IPNet, LibnetworkError } from '@libnetwork/types'
import { DefaultIpam } from '../src/index.js'
import { MemoryStore } from './fixtures/memory-store.js'

type Op =
  { t: 'pick' } | { t: 'explicit'; at: number; prefix: number } | { t: 'release'; k: number }

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ t: fc.constant('pick' as const) }),
  fc.record({
    t: fc.constant('explicit' as const),
    at: fc.nat(1023),
    prefix: fc.integer({ min: 22, max: 30 }),
  }),
  fc.record({ t: fc.constant('release' as const), k: fc.nat(20) }),
)

async function outcome(p: Promise<{ pool: IPNet }>): Promise<string> {
  try {
    return (await p).pool.toString()
  } catch (err) {
    if (!LibnetworkError.isInstance(err)) throw err
    return err.code
  }
}

t.test('pool selection and overlap detection match a naive model', async (t) => {
  const base = IPNet.parse('10.0.0.0/22')
  const defaults = [{ base: '10.0.1.0/24', size: 28 }]
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 60 }), async (ops) => {
      const ipams = [
        new DefaultIpam({ defaultPools: { local: defaults } }),
        new DefaultIpam({ defaultPools: { local: defaults }, store: new MemoryStore() }),
      ]
      const held: IPNet[] = []
      let last: IPNet | undefined
      for (const o of ops) {
        let want: string
        let run: (ipam: DefaultIpam) => Promise<string>
        if (o.t === 'release') {
          const net = held[o.k % Math.max(held.length, 1)]
          if (!net) continue
          held.splice(held.indexOf(net), 1)
          for (const ipam of ipams) await ipam.releasePool(`local/${net.toString()}`)
          continue
        } else if (o.t === 'pick') {
          // Upstream's round robin: after the last pool picked, then from the start.
          const all = [...IPNet.parse('10.0.1.0/24').subnets(28)]
          const from = last ? all.findIndex((c) => c.base > last!.base) : 0
          const order = [...all.slice(from < 0 ? all.length : from), ...all]
          const free = order.find((c) => !held.some((h) => h.overlaps(c)))
          want = free ? free.toString() : 'no-available-pool'
          if (free) {
            held.push(free)
            last = free
          }
          run = (ipam) => outcome(ipam.requestPool({}))
        } else {
          const net = IPNet.of(IP.fromBigInt(base.base + BigInt(o.at), 4), o.prefix)
          const clash = held.some((h) => h.overlaps(net))
          want = clash ? 'pool-overlap' : net.toString()
          if (!clash) held.push(net)
          run = (ipam) => outcome(ipam.requestPool({ pool: net }))
        }
        for (const ipam of ipams) {
          const got = await run(ipam)
          if (got !== want) throw new Error(`${JSON.stringify(o)}: got ${got}, want ${want}`)
        }
      }
      return true
    }),
    { numRuns: 150 },
  )
  t.pass('150 sequences agreed')
})
