/**
 * The IPAM contract's observable promises, as named cases. Each case gets a fresh driver from
 * the caller's factory and throws on the first broken promise.
 */
import { IP, IPNet } from '@libnetwork/types'
import type { IpamDriver } from '../contract.js'
import { aborts, addrOf, equal, fail, netText, ok, rejects } from './check.js'

/** What the driver under test offers; a case that needs a feature it lacks is not run. */
export interface IpamFeatures {
  /** The driver manages addresses (the null IPAM does not: requestAddress gives undefined). */
  addresses: boolean
  /** Pools named by the caller (`requestPool({ pool })`). */
  explicitPools: boolean
  /** Sub-pools (`requestPool({ pool, subPool })`). */
  subPools: boolean
  /** IPv6 pools. */
  v6: boolean
  /** Predefined pools: `requestPool({})` picks one. */
  predefinedPools: boolean
  /** Releasing an address or pool that is not allocated is a not-found error (upstream ignores it). */
  strictRelease: boolean
}

export interface IpamSuiteOptions {
  /** Build the driver under test: a fresh one (and fresh state) for every case. */
  make: () => IpamDriver | Promise<IpamDriver>
  /** Undo what `make` did (close a store, stop a plugin), after every case, pass or fail. */
  cleanup?: (driver: IpamDriver) => void | Promise<void>
  /** Defaults: everything true. */
  features?: Partial<IpamFeatures>
  /**
   * An IPv4 range the cases may carve explicit pools from (a /16 or larger); it must not
   * overlap the driver's predefined pools. Default `10.231.0.0/16`.
   */
  v4Range?: string
  /** The same for IPv6 (a /48 or larger). Default `fd00:231::/48`. */
  v6Range?: string
  /** Names of cases not to run (say why where you pass this). */
  skip?: readonly string[]
}

export interface IpamCase {
  name: string
  run: () => Promise<void>
}

interface Ctx {
  d: IpamDriver
  /** The driver's local address space. */
  local: string
  global: string
  /** The i-th /24 (v4) of the range. */
  v4: (i: number, prefix?: number) => string
  /** The i-th /64 of the v6 range. */
  v6: (i: number) => string
}

type Body = (c: Ctx) => Promise<void>

const ALL: IpamFeatures = {
  addresses: true,
  explicitPools: true,
  subPools: true,
  v6: true,
  predefinedPools: true,
  strictRelease: true,
}

/** A feature the case needs, or with `!` one the driver must lack. */
type Need = keyof IpamFeatures | `!${keyof IpamFeatures}`

const defs: Array<[string, Need[], Body]> = [
  [
    'identity: type, default address spaces, capabilities',
    [],
    async ({ d, local, global }) => {
      ok(typeof d.type === 'string' && d.type.length > 0, `type is a non-empty string: ${d.type}`)
      ok(local.length > 0 && global.length > 0, 'default address spaces are non-empty strings')
      const caps = d.capabilities()
      equal(typeof caps.requiresMACAddress, 'boolean', 'capabilities().requiresMACAddress')
      equal(typeof caps.requiresRequestReplay, 'boolean', 'capabilities().requiresRequestReplay')
    },
  ],
  [
    'a pool of the local space: request and release',
    [],
    async ({ d, local }) => {
      const p = await d.requestPool({ addressSpace: local })
      ok(typeof p.poolId === 'string' && p.poolId.length > 0, 'poolId is a non-empty string')
      netText(p.pool, 'pool')
      ok(p.meta !== null && typeof p.meta === 'object', 'meta is an object')
      await d.releasePool(p.poolId)
    },
  ],
  [
    'a driver that manages no addresses answers undefined and ignores releases',
    ['!addresses'],
    async ({ d, local }) => {
      const p = await d.requestPool({ addressSpace: local })
      equal(await d.requestAddress(p.poolId), undefined, 'requestAddress')
      equal(await d.requestAddress(p.poolId, { preferred: '10.0.0.1' }), undefined, 'preferred')
      await d.releaseAddress(p.poolId, '10.0.0.1')
      await d.releasePool(p.poolId)
    },
  ],
  [
    'explicit pools: request, overlap is a conflict, release frees the range',
    ['explicitPools'],
    async ({ d, local, v4 }) => {
      const p = await d.requestPool({ addressSpace: local, pool: v4(1) })
      equal(netText(p.pool, 'pool'), v4(1), 'the pool asked for')
      await rejects(d.requestPool({ addressSpace: local, pool: v4(1) }), 'conflict', 'same pool')
      const inside = v4(1, 25)
      await rejects(d.requestPool({ addressSpace: local, pool: inside }), 'conflict', 'inside')
      const around = v4(0, 22)
      await rejects(d.requestPool({ addressSpace: local, pool: around }), 'conflict', 'around')
      await d.releasePool(p.poolId)
      const again = await d.requestPool({ addressSpace: local, pool: v4(1) })
      equal(netText(again.pool, 'pool'), v4(1), 'requested again after release')
      await d.releasePool(again.poolId)
    },
  ],
  [
    'malformed pools are bad requests and take nothing',
    ['explicitPools'],
    async ({ d, local, v4 }) => {
      for (const pool of ['banana', '10.0.0.0/33', '10.231.0.1/24x', '10.231.0.0']) {
        await rejects(d.requestPool({ addressSpace: local, pool }), 'bad-request', `pool ${pool}`)
      }
      await rejects(
        d.requestPool({ addressSpace: 'no-such-space', pool: v4(2) }),
        'bad-request',
        'unknown address space',
      )
      const p = await d.requestPool({ addressSpace: local, pool: v4(2) })
      await d.releasePool(p.poolId)
    },
  ],
  [
    'releasing a pool twice is not found',
    ['strictRelease'],
    async ({ d, local }) => {
      const p = await d.requestPool({ addressSpace: local })
      await d.releasePool(p.poolId)
      await rejects(d.releasePool(p.poolId), 'not-found', 'second release')
      await rejects(d.requestAddress(p.poolId), 'not-found', 'address from a released pool')
    },
  ],
  [
    'predefined pools: each request gets a pool that overlaps no other',
    ['predefinedPools'],
    async ({ d, local }) => {
      const got: IPNet[] = []
      for (let i = 0; i < 4; i++) {
        const p = await d.requestPool({ addressSpace: local })
        const net = IPNet.parse(netText(p.pool, 'pool'))
        const clash = got.find((g) => g.overlaps(net))
        if (clash) fail(`predefined pool ${net.toString()} overlaps ${clash.toString()}`)
        got.push(net)
      }
    },
  ],
  [
    'the default address spaces are separate',
    ['explicitPools'],
    async ({ d, local, global, v4 }) => {
      if (local === global) return
      const a = await d.requestPool({ addressSpace: local, pool: v4(3) })
      const b = await d.requestPool({ addressSpace: global, pool: v4(3) })
      ok(a.poolId !== b.poolId, 'the same network in both spaces has two pool ids')
      await d.releasePool(a.poolId)
      await d.releasePool(b.poolId)
    },
  ],
  [
    'addresses: in the pool, with its prefix, each once; released ones come back',
    ['addresses', 'explicitPools'],
    async ({ d, local, v4 }) => {
      const p = await d.requestPool({ addressSpace: local, pool: v4(4) })
      const net = IPNet.parse(v4(4))
      const seen = new Set<string>()
      for (let i = 0; i < 10; i++) {
        const a = addrOf(await d.requestAddress(p.poolId), 'requestAddress')
        ok(net.contains(a.ip), `${a.ip.toString()} is inside ${net.toString()}`)
        equal(a.prefix, net.prefix, 'the address carries the pool prefix')
        ok(!seen.has(a.ip.toString()), `${a.ip.toString()} handed out twice`)
        seen.add(a.ip.toString())
      }
      const first = [...seen][0]!
      await d.releaseAddress(p.poolId, first)
      const back = addrOf(await d.requestAddress(p.poolId, { preferred: first }), 'preferred')
      equal(back.ip.toString(), first, 'a released address can be requested again')
    },
  ],
  [
    'preferred addresses: granted, in use is a conflict, outside the pool a bad request',
    ['addresses', 'explicitPools'],
    async ({ d, local, v4 }) => {
      const p = await d.requestPool({ addressSpace: local, pool: v4(5) })
      const want = IPNet.parse(v4(5)).ip.value + 77n
      const ip = IP.fromBigInt(want, 4).toString()
      const a = addrOf(await d.requestAddress(p.poolId, { preferred: ip }), 'preferred')
      equal(a.ip.toString(), ip, 'the preferred address')
      await rejects(d.requestAddress(p.poolId, { preferred: ip }), 'conflict', 'taken')
      await rejects(
        d.requestAddress(p.poolId, { preferred: '192.0.2.1' }),
        'bad-request',
        'outside the pool',
      )
      await rejects(d.requestAddress(p.poolId, { preferred: 'banana' }), 'bad-request', 'malformed')
    },
  ],
  [
    'an exhausted pool is unavailable until an address is released',
    ['addresses', 'explicitPools'],
    async ({ d, local, v4 }) => {
      const p = await d.requestPool({ addressSpace: local, pool: v4(6, 29) })
      const got: string[] = []
      for (let i = 0; i < 6; i++)
        got.push(addrOf(await d.requestAddress(p.poolId), 'a').ip.toString())
      equal(new Set(got).size, 6, 'six distinct addresses in a /29')
      await rejects(d.requestAddress(p.poolId), 'unavailable', 'seventh address of a /29')
      await d.releaseAddress(p.poolId, got[2]!)
      const again = addrOf(await d.requestAddress(p.poolId), 'after release')
      equal(again.ip.toString(), got[2]!, 'the one free address')
    },
  ],
  [
    'releasing an address that is not allocated is not found',
    ['addresses', 'explicitPools', 'strictRelease'],
    async ({ d, local, v4 }) => {
      const p = await d.requestPool({ addressSpace: local, pool: v4(7) })
      const a = addrOf(await d.requestAddress(p.poolId), 'a')
      await d.releaseAddress(p.poolId, a.ip)
      await rejects(d.releaseAddress(p.poolId, a.ip), 'not-found', 'second release')
    },
  ],
  [
    'sub-pools: addresses from the sub-pool, preferred ones anywhere in the pool',
    ['addresses', 'explicitPools', 'subPools'],
    async ({ d, local, v4 }) => {
      const pool = v4(8)
      const sub = v4(8, 26).replace(/\.0\/26$/, '.64/26')
      const p = await d.requestPool({ addressSpace: local, pool, subPool: sub })
      equal(netText(p.pool, 'pool'), pool, 'the pool (not the sub-pool) is returned')
      const subNet = IPNet.parse(sub)
      for (let i = 0; i < 5; i++) {
        const a = addrOf(await d.requestAddress(p.poolId), 'from the sub-pool')
        ok(subNet.contains(a.ip), `${a.ip.toString()} is inside the sub-pool ${sub}`)
        equal(a.prefix, 24, 'the address carries the pool prefix')
      }
      const gw = IP.fromBigInt(IPNet.parse(pool).ip.value + 1n, 4).toString()
      const g = addrOf(await d.requestAddress(p.poolId, { preferred: gw }), 'gateway')
      equal(g.ip.toString(), gw, 'a preferred address outside the sub-pool but inside the pool')
      await rejects(
        d.requestPool({ addressSpace: local, pool, subPool: v4(9, 26) }),
        'bad-request',
        'a sub-pool outside its pool',
      )
      await d.releasePool(p.poolId)
    },
  ],
  [
    'IPv6: explicit pools and addresses',
    ['addresses', 'explicitPools', 'v6'],
    async ({ d, local, v6 }) => {
      const p = await d.requestPool({ addressSpace: local, pool: v6(1), v6: true })
      equal(netText(p.pool, 'pool'), v6(1), 'the v6 pool')
      const net = IPNet.parse(v6(1))
      const a = addrOf(await d.requestAddress(p.poolId), 'v6 address')
      ok(net.contains(a.ip), `${a.ip.toString()} is inside ${v6(1)}`)
      equal(a.prefix, 64, 'the pool prefix')
      const far = IP.fromBigInt(net.ip.value + (1n << 40n) + 5n, 6).toString()
      equal(
        addrOf(await d.requestAddress(p.poolId, { preferred: far }), 'far').ip.toString(),
        far,
        'a preferred address far into a /64',
      )
      await rejects(
        d.requestPool({ addressSpace: local, pool: v6(1), v6: true }),
        'conflict',
        'the same v6 pool',
      )
      await d.releaseAddress(p.poolId, a.ip)
      await d.releasePool(p.poolId)
    },
  ],
  [
    'an aborted signal rejects and allocates nothing',
    [],
    async ({ d, local }) => {
      const signal = AbortSignal.abort()
      await aborts(d.requestPool({ addressSpace: local, signal }), 'requestPool')
      const p = await d.requestPool({ addressSpace: local })
      await aborts(d.requestAddress(p.poolId, { signal }), 'requestAddress')
      await aborts(d.releasePool(p.poolId, { signal }), 'releasePool')
      await d.releasePool(p.poolId) // still there: the aborted release did nothing
    },
  ],
  [
    'an aborted signal takes no pool and no address',
    ['addresses', 'explicitPools'],
    async ({ d, local, v4 }) => {
      const signal = AbortSignal.abort()
      await aborts(d.requestPool({ addressSpace: local, pool: v4(10), signal }), 'requestPool')
      const p = await d.requestPool({ addressSpace: local, pool: v4(10) })
      const ip = IP.fromBigInt(IPNet.parse(v4(10)).ip.value + 9n, 4).toString()
      await aborts(d.requestAddress(p.poolId, { preferred: ip, signal }), 'requestAddress')
      const a = addrOf(await d.requestAddress(p.poolId, { preferred: ip }), 'after abort')
      equal(a.ip.toString(), ip, 'the address was not taken by the aborted call')
      await aborts(d.releaseAddress(p.poolId, ip, { signal }), 'releaseAddress')
      await rejects(d.requestAddress(p.poolId, { preferred: ip }), 'conflict', 'still taken')
    },
  ],
]

/** The suite's cases for one driver, after features and `skip`. */
export function ipamComplianceCases(options: IpamSuiteOptions): IpamCase[] {
  const features = { ...ALL, ...options.features }
  const skip = new Set(options.skip ?? [])
  const v4Range = IPNet.parse(options.v4Range ?? '10.231.0.0/16')
  const v6Range = IPNet.parse(options.v6Range ?? 'fd00:231::/48')
  if (v4Range.version !== 4 || v4Range.prefix > 16)
    throw new Error('v4Range: an IPv4 /16 or larger')
  if (v6Range.version !== 6 || v6Range.prefix > 48)
    throw new Error('v6Range: an IPv6 /48 or larger')
  const v4 = (i: number, prefix = 24) =>
    IPNet.of(IP.fromBigInt(v4Range.ip.value + BigInt(i) * 256n, 4), prefix).toString()
  const v6 = (i: number) =>
    IPNet.of(IP.fromBigInt(v6Range.ip.value + (BigInt(i) << 64n), 6), 64).toString()
  return defs
    .filter(
      ([name, needs]) =>
        !skip.has(name) &&
        needs.every((n) =>
          n.startsWith('!')
            ? !features[n.slice(1) as keyof IpamFeatures]
            : features[n as keyof IpamFeatures],
        ),
    )
    .map(([name, , body]) => ({
      name,
      run: async () => {
        const d = await options.make()
        try {
          const spaces = await d.getDefaultAddressSpaces()
          await body({ d, local: spaces.local, global: spaces.global, v4, v6 })
        } finally {
          await options.cleanup?.(d)
        }
      },
    }))
}

/** Every case name, for `skip` lists. */
export const IPAM_COMPLIANCE_CASES: readonly string[] = Object.freeze(defs.map(([n]) => n))
