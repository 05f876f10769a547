// DefaultIpam on the real stores of @libnetwork/datastore: the embedded local store (across
// restarts, under heavy concurrency, shared by two allocators) and etcd (two processes).
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { etcdStore, localStore } from '@libnetwork/datastore'
import type { KVStore } from '@libnetwork/datastore'
import { startEtcd, type EtcdServer } from '@libnetwork/datastore/testing'
import { DefaultIpam } from '../src/index.js'
import type { IpamStore } from '../src/index.js'

const worker = fileURLToPath(new URL('./fixtures/etcd-worker.ts', import.meta.url))

// Compile-time check that a KVStore is an IpamStore.
const asIpamStore = (s: KVStore): IpamStore => s

/** Settle every promise; the fulfilled values as text and the rejection codes. */
async function outcomes(calls: Array<Promise<{ ip: { toString(): string } }>>) {
  const all = await Promise.allSettled(calls)
  const got: string[] = []
  const codes: string[] = []
  for (const r of all) {
    if (r.status === 'fulfilled') got.push(r.value.ip.toString())
    else codes.push(String((r.reason as { code?: unknown }).code))
  }
  return { got, codes }
}

t.test('ipam state survives a restart on the local store', async (t) => {
  const path = `${t.testdir()}/db`
  let store = localStore({ path })
  let ipam = new DefaultIpam({ store: asIpamStore(store) })
  const { poolId, pool } = await ipam.requestPool({ pool: '10.88.0.0/24' })
  t.equal(pool.toString(), '10.88.0.0/24')
  const first = await ipam.requestAddress(poolId)
  const second = await ipam.requestAddress(poolId)
  t.same([first.ip.toString(), second.ip.toString()], ['10.88.0.1', '10.88.0.2'])
  t.ok((await store.list('ipam/')).length >= 2, 'pools and addresses are stored under ipam/')
  await store.close()

  store = localStore({ path })
  ipam = new DefaultIpam({ store })
  t.equal((await ipam.requestAddress(poolId)).ip.toString(), '10.88.0.3', 'allocations were kept')
  await ipam.releaseAddress(poolId, first.ip)
  t.equal((await ipam.requestAddress(poolId, first.ip)).ip.toString(), '10.88.0.1')
  await t.rejects(
    ipam.requestPool({ pool: '10.88.0.0/24' }),
    { code: 'pool-overlap' },
    'the pool is still taken',
  )
  await store.close()
})

t.test('2,000 concurrent requestAddress on one instance with a local store', async (t) => {
  const store = localStore({ path: `${t.testdir()}/db` })
  t.teardown(() => store.close())
  // The default maximum of compare-and-swap attempts: callers of one instance must not use it up.
  const ipam = new DefaultIpam({ store })
  const { poolId } = await ipam.requestPool({ pool: '10.70.0.0/20' })
  const { got, codes } = await outcomes(
    Array.from({ length: 2000 }, () => ipam.requestAddress(poolId)),
  )
  t.same(codes, [], 'no call failed')
  t.equal(got.length, 2000)
  t.equal(new Set(got).size, 2000, 'no address handed out twice')
  const n = (ip: string) => ip.split('.').reduce((a, b) => a * 256 + Number(b), 0)
  t.same(
    got.map(n).sort((a, b) => a - b),
    Array.from({ length: 2000 }, (_, i) => n('10.70.0.1') + i),
    'the lowest 2,000 addresses',
  )
  // The same with releases and pools mixed in: every call succeeds, state stays consistent.
  const mixed = await Promise.allSettled([
    ...got.slice(0, 500).map((ip) => ipam.releaseAddress(poolId, ip)),
    ...Array.from({ length: 50 }, () => ipam.requestPool({ addressSpace: 'global' })),
  ])
  t.same(
    mixed.filter((r) => r.status === 'rejected'),
    [],
    '500 releases and 50 pool requests at once',
  )
  const again = new DefaultIpam({ store })
  t.equal(
    (await again.requestAddress(poolId)).ip.toString(),
    '10.70.0.1',
    'a second instance sees the released addresses',
  )
})

t.test(
  'two instances on one local store allocating at once hand out no address twice',
  async (t) => {
    const store = localStore({ path: `${t.testdir()}/db` })
    t.teardown(() => store.close())
    const a = new DefaultIpam({ store })
    const b = new DefaultIpam({ store })
    const { poolId } = await a.requestPool({ pool: '10.71.0.0/22' }) // 1,022 usable
    const { got, codes } = await outcomes(
      Array.from({ length: 1200 }, (_, i) => (i % 2 ? a : b).requestAddress(poolId)),
    )
    t.equal(got.length, 1022, 'every usable address of the /22')
    t.equal(new Set(got).size, 1022, 'no duplicates')
    t.same([...new Set(codes)], ['no-available-address'], 'the rest found the pool full')
    const pools = await Promise.all(
      Array.from({ length: 40 }, (_, i) => (i % 2 ? a : b).requestPool({ addressSpace: 'global' })),
    )
    t.equal(new Set(pools.map((p) => p.pool.toString())).size, 40, 'distinct pools')
  },
)

t.test('two allocator processes sharing one etcd never hand out the same address', async (t) => {
  const etcd: EtcdServer = await startEtcd()
  t.teardown(() => etcd.stop())
  const store = etcdStore({ endpoints: [etcd.endpoint], namespace: 'ipam-shared/' })
  t.teardown(() => store.close())
  const { poolId } = await new DefaultIpam({ store }).requestPool({ pool: '10.99.0.0/24' })

  const run = (): Promise<string[]> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', worker, etcd.endpoint, poolId], {
        stdio: ['ignore', 'pipe', 'inherit'],
      })
      t.teardown(() => void child.kill('SIGKILL'))
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.once('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out) as string[])
          : reject(new Error(`worker exited ${code}`)),
      )
    })
  const [x, y] = await Promise.all([run(), run()])
  const all = [...x, ...y]
  t.equal(all.length, 254, 'together they allocated every usable address of the /24')
  t.equal(new Set(all).size, 254, 'no address was handed out twice')
  t.ok(x.length > 0 && y.length > 0, `both processes allocated (${x.length} + ${y.length})`)
  await t.rejects(new DefaultIpam({ store }).requestAddress(poolId), {
    code: 'no-available-address',
  })

  // Two instances in this process, concurrent calls on each: batches per instance, CAS between.
  const a = new DefaultIpam({ store })
  const b = new DefaultIpam({ store })
  const p = await a.requestPool({ pool: '10.98.0.0/23' }) // 510 usable
  const { got, codes } = await outcomes(
    Array.from({ length: 600 }, (_, i) => (i % 2 ? a : b).requestAddress(p.poolId)),
  )
  t.equal(got.length, 510)
  t.equal(new Set(got).size, 510, 'no duplicates on etcd')
  t.same([...new Set(codes)], ['no-available-address'])
})
