// Benchmarks S1–S2 of issue 8, against the built package. Writes bench-results/datastore.json.
//   S1: 10,000 sequential durable puts / gets of 1 KiB values on the local (lmdb) store; the
//       same puts in batches of 100.
//   S2: the same sequential puts / gets against a real etcd on loopback (started here).
//   S3 (@libnetwork/ipam with its state in the local store) lives in ipam's bench since
//       ipam depends on this package (a dev dependency back would be a cycle).
// Rates are wall-clock ops/s of one run (S1: median of BENCH_RUNS runs, default 1);
// BENCH_SCALE=0.1 shrinks the work.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { etcdStore, localStore } from '../dist/index.js'
import type { KVStore } from '../dist/index.js'
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

try {
  await s1()
  await s2()
  writeResults('datastore', results)
} finally {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
}
