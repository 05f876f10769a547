// Benchmarks S1–S3 of issue 8, against the built package. Writes bench-results/datastore.json.
//   S1: 10,000 sequential durable puts / gets of 1 KiB values on the local (lmdb) store; the
//       same puts in batches of 100.
//   S2: the same sequential puts / gets against a real etcd on loopback (started here).
//   S3: @libnetwork/ipam exhausting a /16 with its state persisted in the local store.
// Rates are wall-clock ops/s of one run (S1: median of BENCH_RUNS runs, default 1);
// BENCH_SCALE=0.1 shrinks the work (S3 then exhausts a /20).
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DefaultIpam } from '@libnetwork/ipam'
import { etcdStore, localStore } from '../dist/index.js'
import type { KVStore, LocalStoreOptions } from '../dist/index.js'
import { startEtcd } from '../dist/testing/index.js'
import { median, now, writeResults } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'

const scale = Number(process.env.BENCH_SCALE ?? 1)
const N = Math.round(10_000 * scale)
const BATCH = 100
const RUNS = Number(process.env.BENCH_RUNS ?? 1)
const value = new Uint8Array(1024).map((_, i) => i % 251)
const results: BenchResult[] = []
const dirs: string[] = []

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'lnt-datastore-bench-'))
  dirs.push(d)
  return d
}

async function rate(ops: number, body: () => Promise<void>): Promise<number> {
  const t0 = now()
  await body()
  return Math.round((ops / (now() - t0)) * 1000)
}

async function sequential(store: KVStore, tag: string): Promise<{ put: number; get: number }> {
  const put = await rate(N, async () => {
    for (let i = 0; i < N; i++) await store.put(`bench/${tag}/${i}`, value)
  })
  const get = await rate(N, async () => {
    for (let i = 0; i < N; i++) {
      const kv = await store.get(`bench/${tag}/${i}`)
      if (kv?.value.byteLength !== 1024) throw new Error(`lost bench/${tag}/${i}`)
    }
  })
  return { put, get }
}

async function s1(): Promise<void> {
  const puts: number[] = []
  const gets: number[] = []
  const batches: number[] = []
  for (let run = 0; run < RUNS; run++) {
    const store = localStore({ path: join(tempDir(), 'db') })
    const r = await sequential(store, `s1-${run}`)
    puts.push(r.put)
    gets.push(r.get)
    batches.push(
      await rate(N, async () => {
        for (let i = 0; i < N; i += BATCH) {
          const ops = Array.from({ length: Math.min(BATCH, N - i) }, (_, j) => ({
            type: 'put' as const,
            key: `bench/batch/${i + j}`,
            value,
          }))
          await store.batch(ops)
        }
      }),
    )
    await store.close()
  }
  const commit = localStore({ path: join(tempDir(), 'db'), durability: 'commit' })
  const c = await sequential(commit, 's1-commit')
  await commit.close()
  results.push(
    {
      id: 'S1.put.commit',
      name: `${N} sequential 1 KiB puts, local lmdb store, durability 'commit'`,
      value: c.put,
      unit: 'ops/s',
    },
    {
      id: 'S1.put',
      name: `${N} sequential durable 1 KiB puts, local lmdb store`,
      value: median(puts),
      unit: 'ops/s',
    },
    {
      id: 'S1.get',
      name: `${N} sequential 1 KiB gets, local lmdb store`,
      value: median(gets),
      unit: 'ops/s',
    },
    {
      id: 'S1.batch',
      name: `${N} durable 1 KiB puts in batches of ${BATCH}, local lmdb store`,
      value: median(batches),
      unit: 'ops/s',
    },
  )
}

async function s2(): Promise<void> {
  const etcd = await startEtcd()
  try {
    const store = etcdStore({ endpoints: [etcd.endpoint] })
    const r = await sequential(store, 's2')
    await store.close()
    results.push(
      {
        id: 'S2.put',
        name: `${N} sequential 1 KiB puts, etcd on loopback`,
        value: r.put,
        unit: 'ops/s',
      },
      {
        id: 'S2.get',
        name: `${N} sequential 1 KiB gets, etcd on loopback`,
        value: r.get,
        unit: 'ops/s',
      },
    )
  } finally {
    await etcd.stop()
  }
}

async function s3(id: string, label: string, opts: Partial<LocalStoreOptions>): Promise<void> {
  const store = localStore({ path: join(tempDir(), 'db'), ...opts })
  const ipam = new DefaultIpam({ store })
  const prefix = scale >= 1 ? 16 : 20
  const { poolId } = await ipam.requestPool({ pool: `10.128.0.0/${prefix}` })
  let n = 0
  const r = await rate(2 ** (32 - prefix) - 2, async () => {
    for (;;) {
      try {
        await ipam.requestAddress(poolId)
        n++
      } catch (err) {
        if ((err as { code?: string }).code === 'no-available-address') break
        throw err
      }
    }
  })
  if (n !== 2 ** (32 - prefix) - 2) throw new Error(`allocated ${n}`)
  await store.close()
  results.push({
    id,
    name: `ipam exhausts a /${prefix} (${n} addresses), ${label}`,
    value: r,
    unit: 'addr/s',
  })
}

try {
  await s1()
  await s2()
  await s3('S3', "state in the local store, durability 'sync' (fsync per write, the default)", {})
  await s3(
    'S3.commit',
    "state in the local store, durability 'commit' (kill -9 safe, synced within 200 ms)",
    {
      durability: 'commit',
    },
  )
  writeResults('datastore', results)
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
