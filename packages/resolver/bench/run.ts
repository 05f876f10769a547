// Resolver throughput with dnsperf against the built resolver on loopback, 10 s per run.
//   R0       a bare Node dgram echo server (the ceiling on this machine, for reference)
//   R1       queries/s for names the resolver owns (1000 containers, A queries)
//   R1.p99   99th percentile latency (ms) at 80 % of the R1 rate
//   R1.lost  queries lost at 80 % of the R1 rate (dnsperf -Q)
//   R2       queries/s for names forwarded to a local upstream this benchmark starts
//   R0.cpu / R1.cpu  CPU time of the serving thread per query (µs): steadier than qps on a busy machine
import { spawn } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { IP } from '@libnetwork/types'
import { RecordTable, Resolver } from '../dist/index.js'
import { openSocket } from '../test/fixtures/sockets.js'
import { percentile, writeResults } from '../../../tools/bench.mjs'
import type { BenchResult } from '../../../tools/bench.mjs'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const dir = mkdtempSync(join(tmpdir(), 'lnt-resolver-bench-'))
let runs = 0

function queryFile(name: string, lines: string[]): string {
  const path = join(dir, name)
  writeFileSync(path, lines.join('\n') + '\n')
  return path
}

interface PerfResult {
  qps: number
  lost: number
  sent: number
  latenciesMs: number[]
}

/**
 * Run dnsperf; with `verbose`, collect every latency (for percentiles). Its output goes to a
 * file and is read afterwards, so that nothing in this process competes with the resolver.
 */
function dnsperf(
  port: number,
  file: string,
  extra: string[],
  verbose = false,
): Promise<PerfResult> {
  const args = ['-s', '127.0.0.1', '-p', String(port), '-d', file, '-l', String(SECONDS)]
  args.push('-c', '2', '-q', '200', ...extra)
  if (verbose) args.push('-v')
  const outPath = join(dir, `dnsperf-${++runs}.out`)
  const out = openSync(outPath, 'w')
  const child = spawn('dnsperf', args, { stdio: ['ignore', out, 'inherit'] })
  return new Promise((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => {
      closeSync(out)
      const latenciesMs: number[] = []
      let text = ''
      for (const line of readFileSync(outPath, 'utf8').split('\n')) {
        if (line.startsWith('> ')) {
          const v = Number(line.slice(line.lastIndexOf(' ') + 1))
          if (Number.isFinite(v)) latenciesMs.push(v * 1000)
        } else text += line + '\n'
      }
      const num = (re: RegExp) => Number(re.exec(text)?.[1] ?? NaN)
      const qps = num(/Queries per second:\s+([\d.]+)/)
      if (code !== 0 || !Number.isFinite(qps)) {
        reject(new Error(`dnsperf failed (${code}):\n${text}`))
        return
      }
      resolve({
        qps,
        lost: num(/Queries lost:\s+(\d+)/),
        sent: num(/Queries sent:\s+(\d+)/),
        latenciesMs,
      })
    })
  })
}

async function bareEcho(): Promise<{ port: number; close: () => void }> {
  const s = createSocket('udp4')
  s.on('message', (m, r) => {
    m[2]! |= 0x80
    s.send(m, r.port, r.address)
  })
  await new Promise<void>((res) => s.bind(0, '127.0.0.1', () => res()))
  return { port: s.address().port, close: () => s.close() }
}

async function startUpstream(): Promise<{ port: number; stop: () => void }> {
  const script = fileURLToPath(new URL('./upstream.ts', import.meta.url))
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject)
    child.stdout.once('data', (d: Buffer) => resolve(Number(d.toString().trim())))
  })
  return { port, stop: () => child.kill('SIGTERM') }
}

const results: BenchResult[] = []

const names = Array.from({ length: 1000 }, (_, i) => `c${i}`)
const table = new RecordTable()
names.forEach((n, i) => table.addHost('bench', n, [IP.fromV4Number(0xac140000 + i)]))
const r1File = queryFile(
  'r1.txt',
  names.map((n) => `${n} A`),
)
const r2File = queryFile(
  'r2.txt',
  names.map((n) => `${n}.forwarded.example A`),
)

/** CPU time of this process (the serving thread; the rest idles) per completed query, in µs. */
async function cpuPerQuery<T extends { qps: number }>(run: () => Promise<T>): Promise<[T, number]> {
  const c0 = process.cpuUsage()
  const r = await run()
  const c = process.cpuUsage(c0)
  return [r, (c.user + c.system) / (r.qps * SECONDS)]
}

const bare = await bareEcho()
const [r0, r0cpu] = await cpuPerQuery(() => dnsperf(bare.port, r1File, []))
bare.close()
results.push({
  id: 'R0',
  name: 'bare Node dgram echo server (reference ceiling)',
  value: Math.round(r0.qps),
  unit: 'qps',
})
results.push({ id: 'R0.cpu', name: 'bare echo server CPU per query', value: r0cpu, unit: 'us' })

const upstream = await startUpstream()
// As in production: served by this (main) thread from sockets a factory opened and handed over
// as fds (the controller opens them inside the sandbox's namespace; here, this one's).
const resolver = new Resolver({
  source: table,
  address: '127.0.0.1',
  port: 0,
  upstreams: [{ address: '127.0.0.1', port: upstream.port }],
  openSocket: (spec) => openSocket(spec),
})
const { port } = await resolver.start()
try {
  const [r1, r1cpu] = await cpuPerQuery(() => dnsperf(port, r1File, []))
  results.push({
    id: 'R1',
    name: 'owned names, A, dnsperf 10 s',
    value: Math.round(r1.qps),
    unit: 'qps',
  })
  results.push({
    id: 'R1.cpu',
    name: 'resolver CPU per owned-name query',
    value: r1cpu,
    unit: 'us',
  })
  const rate = Math.floor(r1.qps * 0.8)
  const paced = await dnsperf(port, r1File, ['-Q', String(rate)], true)
  results.push({
    id: 'R1.p99',
    name: `owned names, p99 latency at 80% of R1 (${rate} qps)`,
    value: percentile(paced.latenciesMs, 99),
    unit: 'ms',
  })
  results.push({
    id: 'R1.lost',
    name: `queries lost at 80% of R1 (of ${paced.sent})`,
    value: paced.lost,
    unit: 'queries',
  })
  const r2 = await dnsperf(port, r2File, [])
  results.push({
    id: 'R2',
    name: 'forwarded names to a local upstream, dnsperf 10 s',
    value: Math.round(r2.qps),
    unit: 'qps',
  })
  if (r2.lost > 0) console.log(`R2: ${r2.lost} of ${r2.sent} queries lost`)
} finally {
  await resolver.stop()
  upstream.stop()
  rmSync(dir, { recursive: true, force: true })
}
writeResults('resolver', results)
