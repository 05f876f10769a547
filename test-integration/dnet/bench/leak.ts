// L1: does the daemon's memory grow with work? Runs create/publish/attach/detach/unpublish/rm
// cycles against a real daemon in a test host namespace, samples RSS and, at two points, writes
// a heap snapshot (the daemon runs with --heapsnapshot-signal) and compares them by constructor.
// The userland proxy (the daemon's child that serves the published ports) is sampled too.
//   LNT_CYCLES (default 5000), LNT_SNAP_AT (default 500): cycles, and the first snapshot;
//   LNT_MAX_S: stop cycling after that many seconds (the last snapshot says how many ran).
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { writeResults, type BenchResult } from '../../../tools/bench.mjs'
import { Host } from '../test/harness.js'
import { summarize, growth } from './heap-summary.js'

const CYCLES = Number(process.env.LNT_CYCLES ?? 5000)
const SNAP_AT = Number(process.env.LNT_SNAP_AT ?? 500)
const STOP_AT = Date.now() + Number(process.env.LNT_MAX_S ?? Infinity) * 1000

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Math.round((Number(m?.[1]) / 1024) * 10) / 10
}

/** The daemon's userland proxy process (its child running proxy-child), if it runs. */
function proxyPid(daemon: number): number | undefined {
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid !== daemon) continue
      if (readFileSync(`/proc/${name}/cmdline`, 'utf8').includes('proxy-child')) return Number(name)
    } catch {
      // gone meanwhile
    }
  }
  return undefined
}

/** Ask the daemon for a heap snapshot and wait until the file is complete. */
async function snapshot(h: Host, pid: number): Promise<string> {
  const before = new Set(readdirSync(h.dir))
  process.kill(pid, 'SIGUSR2')
  for (let i = 0; i < 1200; i++) {
    await new Promise((r) => setTimeout(r, 250))
    const file = readdirSync(h.dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f))
    if (!file) continue
    const path = join(h.dir, file)
    const size = statSync(path).size
    await new Promise((r) => setTimeout(r, 500))
    if (size > 0 && statSync(path).size === size && readFileSync(path, 'utf8').endsWith('}')) {
      return path
    }
  }
  throw new Error('the daemon wrote no heap snapshot within 5 minutes')
}

async function cycle(h: Host, i: number): Promise<void> {
  const api = async (method: string, path: string, body?: object) => {
    const r = await h.api(method, path, body)
    if (r.status >= 400) throw new Error(`${method} ${path}: ${JSON.stringify(r.body)}`)
  }
  const net = `leak${i % 4}`
  await api('POST', '/networks', {
    name: net,
    ipam: { config: [{ subnet: `10.70.${i % 4}.0/24` }] },
  })
  await api('POST', '/sandboxes', { containerId: `c${i}` })
  await api('POST', `/networks/${net}/endpoints`, {
    name: `s${i}`,
    portBindings: [{ protocol: 'tcp', port: 80 }],
  })
  await api('POST', `/networks/${net}/endpoints/s${i}/sandboxes`, { sandbox: `c${i}` })
  await api('DELETE', `/networks/${net}/endpoints/s${i}/sandboxes/c${i}`)
  await api('DELETE', `/networks/${net}/endpoints/s${i}`)
  await api('DELETE', `/sandboxes/c${i}`)
  await api('DELETE', `/networks/${net}`)
}

const teardowns: (() => unknown)[] = []
const h = await Host.create({ teardown: (fn) => teardowns.push(fn) })
const results: BenchResult[] = []
process.env.NODE_OPTIONS = `${process.env.NODE_OPTIONS ?? ''} --heapsnapshot-signal=SIGUSR2`
try {
  await h.start(['--default-network', ''], { cwd: h.dir })
  const pid = h.daemon!.pid!
  const rss: [number, number][] = [[0, rssMiB(pid)]]
  const proxyRss: [number, number][] = []
  let first: Map<string, { count: number; size: number }> | undefined
  let rssAtSnap = NaN
  let cycles = 0
  for (let i = 1; i <= CYCLES && (i <= SNAP_AT || Date.now() < STOP_AT); i++) {
    await cycle(h, i)
    cycles = i
    if (i % 250 === 0 || i === CYCLES) {
      rss.push([i, rssMiB(pid)])
      const proxy = proxyPid(pid)
      if (proxy !== undefined) proxyRss.push([i, rssMiB(proxy)])
      console.error(`cycle ${i}: rss ${rss.at(-1)![1]} MiB, proxy ${proxyRss.at(-1)?.[1]} MiB`)
    }
    if (i === SNAP_AT) {
      // RSS before the snapshot: writing one grows the heap for a while.
      rssAtSnap = rssMiB(pid)
      first = summarize(await snapshot(h, pid))
    }
  }
  rss.push([cycles, rssMiB(pid)])
  const last = summarize(await snapshot(h, pid))
  const grown = first ? growth(first, last) : []
  console.error('largest growth between the snapshots (constructor: count, bytes):')
  for (const g of grown.slice(0, 15)) console.error(`  ${g.name}: +${g.count}, +${g.size} B`)
  const heapAt = (m: Map<string, { size: number }>) =>
    [...m.values()].reduce((a, v) => a + v.size, 0) / 2 ** 20
  results.push(
    { id: 'L1.rss.start', name: 'daemon RSS at start', value: rss[0]![1], unit: 'MiB' },
    {
      id: 'L1.rss.snap',
      name: `daemon RSS after ${SNAP_AT} cycles`,
      value: rssAtSnap,
      unit: 'MiB',
    },
    {
      id: 'L1.rss.end',
      name: `daemon RSS after ${cycles} cycles (the first snapshot inflated it)`,
      value: rss.at(-1)![1],
      unit: 'MiB',
    },
    {
      id: 'L1.heap.snap',
      name: `live heap after ${SNAP_AT} cycles (snapshot)`,
      value: first ? Math.round(heapAt(first) * 10) / 10 : NaN,
      unit: 'MiB',
    },
    {
      id: 'L1.heap.end',
      name: `live heap after ${cycles} cycles (snapshot)`,
      value: Math.round(heapAt(last) * 10) / 10,
      unit: 'MiB',
    },
  )
  if (proxyRss.length > 0) {
    results.push(
      {
        id: 'L1.proxy.rss.first',
        name: `userland proxy RSS after ${proxyRss[0]![0]} cycles`,
        value: proxyRss[0]![1],
        unit: 'MiB',
      },
      {
        id: 'L1.proxy.rss.end',
        name: `userland proxy RSS after ${proxyRss.at(-1)![0]} cycles`,
        value: proxyRss.at(-1)![1],
        unit: 'MiB',
      },
    )
  }
  console.error(`rss samples: ${JSON.stringify(rss)}`)
  console.error(`proxy rss samples: ${JSON.stringify(proxyRss)}`)
} finally {
  for (const fn of teardowns.reverse()) await fn()
}
writeResults('dnet-leak', results)
