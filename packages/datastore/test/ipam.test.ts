// Wiring: @libnetwork/ipam persists through these stores as they are (its IpamStore is a
// structural subset of KVStore), locally across restarts and globally across processes.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { DefaultIpam } from '@libnetwork/ipam'
import type { IpamStore } from '@libnetwork/ipam'
import { etcdStore, localStore } from '../src/index.js'
import type { KVStore } from '../src/index.js'
import { startEtcd, type EtcdServer } from '../src/testing/index.js'

const worker = fileURLToPath(new URL('./fixtures/ipam-worker.ts', import.meta.url))

// Compile-time check that a KVStore is an IpamStore.
const asIpamStore = (s: KVStore): IpamStore => s

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
      let out = ''
      child.stdout.on('data', (d: Buffer) => (out += d.toString()))
      child.once('exit', (code) =>
        code === 0
          ? resolve(JSON.parse(out) as string[])
          : reject(new Error(`worker exited ${code}`)),
      )
    })
  const [a, b] = await Promise.all([run(), run()])
  const all = [...a, ...b]
  t.equal(all.length, 254, 'together they allocated every usable address of the /24')
  t.equal(new Set(all).size, 254, 'no address was handed out twice')
  t.ok(a.length > 0 && b.length > 0, `both processes allocated (${a.length} + ${b.length})`)
  await t.rejects(new DefaultIpam({ store }).requestAddress(poolId), {
    code: 'no-available-address',
  })
})
