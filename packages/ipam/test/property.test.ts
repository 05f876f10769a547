import t from 'tap'
import fc from 'fast-check'
import { IP, IPNet, LibnetworkError } from '@libnetwork/types'
import { DefaultIpam } from '../src/index.js'
import { MemoryStore } from './fixtures/memory-store.js'

/** The model of one pool: a Set of taken offsets and upstream's round-robin cursor. */
class PoolModel {
  used = new Set<bigint>()
  curr = 0n
  constructor(
    readonly net: IPNet,
    readonly reserved: bigint[],
  ) {
    for (const r of reserved) this.used.add(r)
  }
  first(a: bigint, b: bigint): bigint {
    for (let o = a; o <= b; o++) if (!this.used.has(o)) return o
    return -1n
  }
  allocate(a: bigint, b: bigint, serial: boolean): bigint {
    let o = -1n
    if (serial && this.curr > a && this.curr <= b) o = this.first(this.curr, b)
    if (o < 0n) o = this.first(a, b)
    if (o >= 0n) {
      this.used.add(o)
      this.curr = o + 1n
    }
    return o
  }
}

// Three pool ids over two pools: a v4 /27, a /29 sub-pool of it (offsets 8..15), a v6 /64.
const V4 = IPNet.parse('10.9.0.0/27')
const V6 = IPNet.parse('fd00:7::/64')
const SUB = IPNet.parse('10.9.0.8/29')

type Op =
  | { t: 'request'; pool: 0 | 1 | 2; serial: boolean }
  | { t: 'preferred'; pool: 0 | 1 | 2; off: number }
  | { t: 'release'; pool: 0 | 1 | 2; off: number }

const pool = fc.constantFrom(0 as const, 1 as const, 2 as const)
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ t: fc.constant('request' as const), pool, serial: fc.boolean() }),
    weight: 3,
  },
  {
    arbitrary: fc.record({ t: fc.constant('preferred' as const), pool, off: fc.nat(40) }),
    weight: 1,
  },
  {
    arbitrary: fc.record({ t: fc.constant('release' as const), pool, off: fc.nat(40) }),
    weight: 2,
  },
)

async function outcome(p: Promise<{ toString(): string } | void>): Promise<string> {
  try {
    return `ok ${String(await p)}`
  } catch (err) {
    if (!LibnetworkError.isInstance(err)) throw err
    return err.code
  }
}

t.test('random sequences on memory and store allocators match a Set model', async (t) => {
  await fc.assert(
    fc.asyncProperty(fc.array(op, { maxLength: 120 }), async (ops) => {
      const mem = new DefaultIpam()
      const stored = new DefaultIpam({ store: new MemoryStore() })
      const ids: string[][] = [[], []]
      for (const [k, ipam] of [mem, stored].entries()) {
        ids[k]!.push((await ipam.requestPool({ pool: V4 })).poolId)
        ids[k]!.push((await ipam.requestPool({ pool: V4, subPool: SUB })).poolId)
        ids[k]!.push((await ipam.requestPool({ pool: V6, v6: true })).poolId)
      }
      const v4 = new PoolModel(V4, [0n, 31n])
      const v6 = new PoolModel(V6, [0n])
      const models = [v4, v4, v6]
      for (const o of ops) {
        const m = models[o.pool]!
        const net = m.net
        let want: string
        const addr = (off: bigint) =>
          `${IP.fromBigInt(net.base + off, net.version).toString()}/${net.prefix}`
        if (o.t === 'request') {
          const [a, b] = o.pool === 1 ? [8n, 15n] : [0n, o.pool === 0 ? 31n : (1n << 64n) - 1n]
          const off = m.allocate(a, b, o.serial)
          want = off < 0n ? 'no-available-address' : `ok ${addr(off)}`
        } else {
          const off = BigInt(o.off)
          const inPool = off < net.size
          if (o.t === 'preferred') {
            want = !inPool
              ? 'address-out-of-range'
              : m.used.has(off)
                ? 'address-in-use'
                : `ok ${addr(off)}`
            if (want.startsWith('ok')) m.used.add(off)
          } else {
            want = !inPool
              ? 'address-out-of-range'
              : m.reserved.includes(off)
                ? 'reserved-address'
                : !m.used.has(off)
                  ? 'address-not-allocated'
                  : 'ok undefined'
            if (want.startsWith('ok')) m.used.delete(off)
          }
        }
        for (const [k, ipam] of [mem, stored].entries()) {
          const id = ids[k]![o.pool]!
          let got: string
          if (o.t === 'request') got = await outcome(ipam.requestAddress(id, { serial: o.serial }))
          else {
            // offsets past a /27 name addresses just outside it
            const ip = IP.fromBigInt(net.base + BigInt(o.off), net.version)
            got = await outcome(
              o.t === 'preferred'
                ? ipam.requestAddress(id, { preferred: ip })
                : ipam.releaseAddress(id, ip),
            )
          }
          if (got !== want)
            throw new Error(
              `${k ? 'store' : 'memory'} ${JSON.stringify(o)}: got ${got}, want ${want}`,
            )
        }
      }
      return true
    }),
    { numRuns: 60 },
  )
  t.pass('60 sequences agreed with the model, in memory and through the store')
})
