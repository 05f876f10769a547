// O3: 10 dnet hosts x 10 containers on one overlay: from the first attach until every
// container has reached every other (ICMP echo for all 9,900 pairs, bench/overlay-pairs.py),
// and O3.leftovers: what the leftovers checker finds after everything is removed. The pairs
// check deletes the neighbour entries it made behind each batch: the kernel's ARP table is one
// for all namespaces and holds 1,024 entries (see overlay-pairs.py).
import { spawn } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { now } from '../../../tools/bench.mjs'
import { until, type Teardown } from '../test/harness.js'
import {
  createOverlay,
  ipOf,
  leftoversSince,
  overlayNamespaces,
  overlayWorld,
  removeGateways,
  removeOverlay,
  snap,
  type Mode,
} from '../test/overlay-dnet.js'
import type { Result } from './overlay.js'

const HOSTS = Number(process.env.O3_HOSTS ?? 10)
const PER_HOST = Number(process.env.O3_CONTAINERS ?? 10)
const PAIRS = join(dirname(fileURLToPath(import.meta.url)), 'overlay-pairs.py')
const LIMIT_S = 300

interface Pairs {
  pairs: number
  reached: number
  rounds: number
  missing: Record<string, number>
  table_fulls: number
}

/** Runs the pairs check (bounded by its own limit, killed past it), its progress on stderr. */
function checkPairs(ctrs: string[]): Promise<Pairs> {
  return new Promise((resolve, reject) => {
    const p = spawn('python3', [PAIRS, String(LIMIT_S), ...ctrs], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const kill = setTimeout(() => p.kill('SIGKILL'), (LIMIT_S + 60) * 1000)
    let out = ''
    p.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    p.on('error', reject)
    p.on('close', (code) => {
      clearTimeout(kill)
      if (code === 0) resolve(JSON.parse(out) as Pairs)
      else reject(new Error(`overlay-pairs.py exited with ${String(code)}`))
    })
  })
}

export async function o3(td: Teardown, mode: Mode): Promise<Result[]> {
  const w = await overlayWorld(td, mode, HOSTS, { logLevel: 'warn', lifetimeS: 900 })
  const before = await snap(w)
  await createOverlay(w, {
    name: 'ov',
    subnet: '10.50.0.0/16',
    vni: 4150,
    range: (i) => `10.50.${i + 1}.0/24`,
  })
  const t0 = now()
  const ctrs = await Promise.all(
    w.ds.map(async (d, i) => {
      const out: string[] = []
      for (let c = 0; c < PER_HOST; c++) {
        const name = `h${i}c${c}`
        const ep = await d.run('ov', name)
        out.push(`${await d.netns(name)}=${ipOf(ep.ipv4Address)}`)
      }
      return out
    }),
  )
  const attached = now() - t0
  const r = await checkPairs(ctrs.flat())
  const all = now() - t0
  if (r.reached !== r.pairs)
    console.error(
      `O3: only ${r.reached} of ${r.pairs} pairs reached; missing ${JSON.stringify(r.missing)}; ARP table full ${r.table_fulls} times`,
    )
  await Promise.all(
    w.ds.map(async (d, i) => {
      for (let c = 0; c < PER_HOST; c++) {
        const name = `h${i}c${c}`
        await d.detach(name, 'ov', name)
        await d.unpublish('ov', name)
        await d.deleteContainer(name)
      }
    }),
  )
  for (const d of w.ds)
    await until(
      `${d.host.name}: overlay namespace gone`,
      async () => (await overlayNamespaces(d)).length === 0,
    )
  await removeOverlay(w, 'ov')
  await removeGateways(w)
  const left = await leftoversSince(w, before)
  if (left.length) console.error(`O3 leftovers:\n${left.join('\n')}`)
  const n = HOSTS * PER_HOST
  return [
    {
      id: 'O3',
      name: `${HOSTS} hosts x ${PER_HOST} containers on one overlay (${mode}): first attach until all ${r.pairs} pairs answered ICMP (${r.reached} reached, ${r.rounds} rounds)`,
      value: r.reached === r.pairs ? all / 1000 : Number.NaN,
      unit: 's',
    },
    {
      id: 'O3.attach',
      name: `the same: until all ${n} attaches answered`,
      value: attached / 1000,
      unit: 's',
    },
    {
      id: 'O3.leftovers',
      name: 'leftovers in host namespaces and stores after removing everything',
      value: left.length,
      unit: 'count',
    },
  ]
}
