// E1: 50 containers through the REST API and through the CLI, against a real daemon in a test
// host namespace. Per operation median and p95 (ms), daemon CPU seconds and RSS.
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { median, now, percentile, writeResults, type BenchResult } from '../../../tools/bench.mjs'
import { Host, sh } from '../test/harness.js'

const N = 50
const OPS = [
  'netcreate',
  'create',
  'publish',
  'attach',
  'detach',
  'unpublish',
  'rm',
  'netrm',
] as const
type Op = (typeof OPS)[number]

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Math.round((Number(m?.[1]) / 1024) * 10) / 10
}

async function timed(
  times: Record<Op, number[]>,
  op: Op,
  fn: () => Promise<unknown>,
): Promise<void> {
  const t0 = now()
  await fn()
  times[op].push(now() - t0)
}

async function run(h: Host, mode: 'api' | 'cli', net: string, subnet: string) {
  const times = Object.fromEntries(OPS.map((o) => [o, [] as number[]])) as Record<Op, number[]>
  const api = async (method: string, path: string, body?: object): Promise<unknown> => {
    const r = await h.api(method, path, body)
    if (r.status >= 400) throw new Error(`${method} ${path}: ${JSON.stringify(r.body)}`)
    return r.body as unknown
  }
  const c = (i: number) => `${mode}-c${i}`
  if (mode === 'api') {
    await timed(times, 'netcreate', () =>
      api('POST', '/networks', { name: net, ipam: { config: [{ subnet }] } }),
    )
    for (let i = 0; i < N; i++) {
      await timed(times, 'create', () => api('POST', '/sandboxes', { containerId: c(i) }))
      await timed(times, 'publish', () =>
        api('POST', `/networks/${net}/endpoints`, {
          name: `s${i}`,
          portBindings: [{ protocol: 'tcp', port: 80 }],
        }),
      )
      await timed(times, 'attach', () =>
        api('POST', `/networks/${net}/endpoints/s${i}/sandboxes`, { sandbox: c(i) }),
      )
    }
  } else {
    await timed(times, 'netcreate', () => h.ok('network', 'create', '--subnet', subnet, net))
    for (let i = 0; i < N; i++) {
      await timed(times, 'create', () => h.ok('container', 'create', c(i)))
      await timed(times, 'publish', () => h.ok('service', 'publish', '-p', '80', `s${i}.${net}`))
      await timed(times, 'attach', () => h.ok('service', 'attach', c(i), `s${i}.${net}`))
    }
  }
  const rss = rssMiB(h.daemon!.pid!)
  const cpuBeforeDns = cpuSeconds(h.daemon!.pid!)
  const dns = mode === 'api' ? await dnsperf(h, c(0), 's1') : undefined
  const rssAfterDns = rssMiB(h.daemon!.pid!)
  const dnsCpu = cpuSeconds(h.daemon!.pid!) - cpuBeforeDns
  for (let i = 0; i < N; i++) {
    if (mode === 'api') {
      await timed(times, 'detach', () =>
        api('DELETE', `/networks/${net}/endpoints/s${i}/sandboxes/${c(i)}`),
      )
      await timed(times, 'unpublish', () => api('DELETE', `/networks/${net}/endpoints/s${i}`))
      await timed(times, 'rm', () => api('DELETE', `/sandboxes/${c(i)}`))
    } else {
      await timed(times, 'detach', () => h.ok('service', 'detach', c(i), `s${i}.${net}`))
      await timed(times, 'unpublish', () => h.ok('service', 'unpublish', `s${i}.${net}`))
      await timed(times, 'rm', () => h.ok('container', 'rm', c(i)))
    }
  }
  await timed(times, 'netrm', () =>
    mode === 'api' ? api('DELETE', `/networks/${net}`) : h.ok('network', 'rm', net),
  )
  return { times, rss, dns, rssAfterDns, dnsCpu }
}

/**
 * The embedded DNS server under load: dnsperf inside container `from` asks 127.0.0.11 for the
 * name of another service on its network for 5 s (the daemon answers from its own records).
 */
async function dnsperf(h: Host, from: string, name: string) {
  const sb = (await h.api('GET', `/sandboxes/${from}`)).body as { key: string }
  const queries = join(h.dir, 'queries.txt')
  writeFileSync(queries, `${name} A\n`)
  const out = await sh([
    'nsenter',
    `--net=${sb.key}`,
    'dnsperf',
    '-s',
    '127.0.0.11',
    '-d',
    queries,
    '-l',
    '5',
    '-c',
    '1',
    '-q',
    '64',
  ])
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(out)?.[1])
  const lost = Number(/Queries lost:\s+(\d+)/.exec(out)?.[1])
  if (!Number.isFinite(qps) || !Number.isFinite(lost)) throw new Error(`dnsperf said: ${out}`)
  return { qps, lost }
}

const teardowns: (() => unknown)[] = []
const h = await Host.create({ teardown: (fn) => teardowns.push(fn) })
const results: BenchResult[] = []
try {
  await h.start(['--default-network', ''])
  const pid = h.daemon!.pid!
  const idleRss = rssMiB(pid)
  // The floor of every REST figure: this client's round trip to an endpoint that does nothing.
  const pings: number[] = []
  for (let i = 0; i < 50; i++) {
    const t0 = now()
    await h.api('GET', '/_ping')
    pings.push(now() - t0)
  }
  const cpu0 = cpuSeconds(pid)
  const apiRun = await run(h, 'api', 'benchapi', '10.60.0.0/24')
  const cpu = cpuSeconds(pid) - cpu0 - apiRun.dnsCpu
  // Each run starts from a daemon at rest. The REST run's last network delete answers at once
  // and finishes in the background (its bridge, rules and pool, ~40-70 ms of kernel waits);
  // that would otherwise fall on the CLI run's first network create.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const cliRun = await run(h, 'cli', 'benchcli', '10.61.0.0/24')
  for (const [mode, r] of [
    ['api', apiRun],
    ['cli', cliRun],
  ] as const) {
    for (const op of OPS) {
      results.push({
        id: `E1.${mode}.${op}.median`,
        name: `${mode} ${op} median (${N} containers)`,
        value: median(r.times[op]),
        unit: 'ms',
      })
      results.push({
        id: `E1.${mode}.${op}.p95`,
        name: `${mode} ${op} p95`,
        value: percentile(r.times[op], 95),
        unit: 'ms',
      })
    }
  }
  results.push({
    id: 'E1.cpu',
    name: 'daemon CPU seconds for the 50-container REST run (DNS load excluded)',
    value: cpu,
    unit: 's',
  })
  results.push({
    id: 'E1.rss',
    name: 'daemon RSS with 50 containers attached (REST run)',
    value: apiRun.rss,
    unit: 'MiB',
  })
  results.push({ id: 'E1.rss.idle', name: 'daemon RSS idle', value: idleRss, unit: 'MiB' })
  results.push({
    id: 'E1.api.ping.median',
    name: 'REST round trip of GET /_ping from the same client (the floor of the api figures)',
    value: median(pings),
    unit: 'ms',
  })
  const sum = (ops: Op[]) =>
    ops.reduce((a, op) => a + apiRun.times[op].reduce((x, y) => x + y, 0), 0)
  results.push({
    id: 'E1.api.up',
    name: `${N} containers up over REST (create + publish + attach)`,
    value: sum(['create', 'publish', 'attach']) / 1000,
    unit: 's',
  })
  results.push({
    id: 'E1.api.down',
    name: `${N} containers down over REST (detach + unpublish + rm)`,
    value: sum(['detach', 'unpublish', 'rm']) / 1000,
    unit: 's',
  })
  if (apiRun.dns) {
    results.push({
      id: 'E1.dns.qps',
      name: 'embedded DNS, dnsperf from inside a container for 5 s',
      value: apiRun.dns.qps,
      unit: 'queries/s',
    })
    results.push({
      id: 'E1.dns.lost',
      name: 'queries lost',
      value: apiRun.dns.lost,
      unit: 'queries',
    })
    results.push({
      id: 'E1.rss.dns',
      name: 'daemon RSS with 50 containers, after the DNS load',
      value: apiRun.rssAfterDns,
      unit: 'MiB',
    })
  }
  writeResults('dnet', results)
} finally {
  for (const fn of teardowns.reverse()) await fn()
}
