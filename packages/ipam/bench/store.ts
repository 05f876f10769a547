// DefaultIpam with its state in @libnetwork/datastore's local (lmdb) store.
//   I1.concurrent: 2,000 concurrent requestAddress on one instance (the calls batch: one read
//                  and one compare-and-swap write per batch).
//   S3, S3.commit: exhausting a /16 one address at a time (one commit per address); moved here
//                  from the datastore bench, ids unchanged. BENCH_SCALE < 1 exhausts a /20.
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { localStore } from '@libnetwork/datastore'
import type { LocalStoreOptions } from '@libnetwork/datastore'
import { DefaultIpam } from '../dist/index.js'
import { median, now } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'

const scale = Number(process.env.BENCH_SCALE ?? 1)

async function withStore<T>(
  opts: Partial<LocalStoreOptions>,
  fn: (store: ReturnType<typeof localStore>) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-ipam-bench-'))
  const store = localStore({ path: join(dir, 'db'), ...opts })
  try {
    return await fn(store)
  } finally {
    await store.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

/** Addresses per second for 2,000 concurrent requests on a fresh /20 (median of 5 runs). */
async function concurrent(): Promise<number> {
  const rates: number[] = []
  for (let run = 0; run < 6; run++) {
    const rate = await withStore({}, async (store) => {
      const ipam = new DefaultIpam({ store })
      const { poolId } = await ipam.requestPool({ pool: '10.200.0.0/20' })
      const t0 = now()
      const got = await Promise.all(Array.from({ length: 2000 }, () => ipam.requestAddress(poolId)))
      const ms = now() - t0
      if (new Set(got.map((a) => a.toString())).size !== 2000) throw new Error('duplicates')
      return Math.round((2000 / ms) * 1000)
    })
    if (run > 0) rates.push(rate) // the first run warms up
  }
  return median(rates)
}

async function exhaust(opts: Partial<LocalStoreOptions>): Promise<[number, number]> {
  return withStore(opts, async (store) => {
    const ipam = new DefaultIpam({ store })
    const prefix = scale >= 1 ? 16 : 20
    const { poolId } = await ipam.requestPool({ pool: `10.128.0.0/${prefix}` })
    let n = 0
    const t0 = now()
    for (;;) {
      try {
        await ipam.requestAddress(poolId)
        n++
      } catch (err) {
        if ((err as { code?: string }).code === 'no-available-address') break
        throw err
      }
    }
    const ms = now() - t0
    if (n !== 2 ** (32 - prefix) - 2) throw new Error(`allocated ${n}`)
    return [Math.round((n / ms) * 1000), prefix]
  })
}

export async function storeBenches(): Promise<BenchResult[]> {
  const out: BenchResult[] = [
    {
      id: 'I1.concurrent',
      name: "2,000 concurrent requestAddress on one DefaultIpam, state in the local store ('sync')",
      value: await concurrent(),
      unit: 'addr/s',
    },
  ]
  const [sync, p1] = await exhaust({})
  out.push({
    id: 'S3',
    name: `ipam exhausts a /${p1} sequentially, state in the local store, durability 'sync' (fsync per write)`,
    value: sync,
    unit: 'addr/s',
  })
  const [commit, p2] = await exhaust({ durability: 'commit' })
  out.push({
    id: 'S3.commit',
    name: `ipam exhausts a /${p2} sequentially, state in the local store, durability 'commit'`,
    value: commit,
    unit: 'addr/s',
  })
  return out
}
