// P1: the userland proxy under load, entirely inside namespaces this bench creates: a "host"
// namespace runs the proxy and every client, a "container" namespace runs iperf3 and echo
// servers, joined by a veth. Each figure runs 3 times, interleaved with the others (the machine
// is shared), and the median is kept; the single runs are in the names.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { median, type BenchResult } from '../../../tools/bench.mjs'
import { IP } from '@libnetwork/types'
import type { UserlandProxy as Proxy } from '../dist/index.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const HOST_IP = '172.31.97.1'
const CTR_IP = '172.31.97.2'
const IPERF_PORT = 5201
const ECHO_PORT = 7000
const LO = IP.parse('127.0.0.1')
type ProxyModule = { UserlandProxy: typeof Proxy }
/** BENCH_PROXY=<path to a built index.js> measures another build instead of ../dist. */
const { UserlandProxy } = (await import(
  process.env.BENCH_PROXY ?? '../dist/index.js'
)) as ProxyModule
/**
 * BENCH_BASE=<path to a built index.js>: a second proxy from that build (say, the code before a
 * change) serves other host ports, measured in the same rounds (P1.base.*).
 */
const base = process.env.BENCH_BASE
  ? ((await import(process.env.BENCH_BASE)) as ProxyModule).UserlandProxy
  : undefined
/** Host ports of the base proxy: iperf3 and echo. */
const BASE_IPERF = 6201
const BASE_ECHO = 8000
/** BENCH_UDP=0 leaves out the UDP figures (a shorter run while working on TCP). */
const UDP = process.env.BENCH_UDP !== '0'

// TCP and UDP echo servers of the "container"
const ECHO = `
const net = require('net'), dgram = require('dgram')
net.createServer((s) => { s.setNoDelay(true); s.on('data', (b) => s.write(b)); s.on('error', () => {}) })
  .listen(${ECHO_PORT}, '0.0.0.0', () => {
    const u = dgram.createSocket('udp4')
    u.on('message', (m, r) => u.send(m, r.port, r.address))
    u.bind(${ECHO_PORT}, '0.0.0.0', () => console.log('ready'))
  })
`

// 64-byte request/response for SECONDS over TCP or UDP (a lost UDP datagram is resent after
// 200 ms); prints the number of transactions.
const RR = `
const [proto, ip, port, secs] = process.argv.slice(1)
const msg = Buffer.alloc(64, 1)
const end = Date.now() + Number(secs) * 1000
let n = 0
if (proto === 'tcp') {
  const s = require('net').connect({ host: ip, port: Number(port), noDelay: true })
  let got = 0
  s.on('connect', () => s.write(msg))
  s.on('data', (b) => {
    got += b.length
    while (got >= 64) { got -= 64; n++; if (Date.now() < end) s.write(msg); else { console.log(n); process.exit(0) } }
  })
} else {
  const u = require('dgram').createSocket('udp4')
  let timer
  const send = () => { clearTimeout(timer); u.send(msg, Number(port), ip); timer = setTimeout(send, 200) }
  u.on('message', () => { n++; if (Date.now() < end) send(); else { console.log(n); process.exit(0) } })
  send()
}
`

interface Ns {
  host: string
  ctr: string
  children: ChildProcess[]
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'inherit'] })
}

function makeNamespaces(): Ns {
  const id = randomBytes(3).toString('hex')
  const ns: Ns = { host: `lnt-portmapper-ph-${id}`, ctr: `lnt-portmapper-pc-${id}`, children: [] }
  ip('netns', 'add', ns.host)
  ip('netns', 'add', ns.ctr)
  for (const n of [ns.host, ns.ctr]) ip('-n', n, 'link', 'set', 'lo', 'up')
  ip(
    '-n',
    ns.host,
    'link',
    'add',
    'lnt-veth',
    'type',
    'veth',
    'peer',
    'name',
    'eth0',
    'netns',
    ns.ctr,
  )
  ip('-n', ns.host, 'addr', 'add', `${HOST_IP}/24`, 'dev', 'lnt-veth')
  ip('-n', ns.host, 'link', 'set', 'lnt-veth', 'up')
  ip('-n', ns.ctr, 'addr', 'add', `${CTR_IP}/24`, 'dev', 'eth0')
  ip('-n', ns.ctr, 'link', 'set', 'eth0', 'up')
  return ns
}

function removeNamespaces(ns: Ns): void {
  for (const c of ns.children) c.kill('SIGKILL')
  for (const n of [ns.ctr, ns.host]) {
    try {
      ip('netns', 'del', n)
    } catch {
      // not created
    }
  }
}

/** Start a long-lived server in a namespace and wait until it prints `ready`. */
async function serve(ns: Ns, where: string, argv: string[], ready: RegExp): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', where, ...argv], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  ns.children.push(child)
  let out = ''
  for await (const chunk of child.stdout) {
    out += String(chunk)
    if (ready.test(out)) break
  }
  child.stdout.resume()
}

function inHost(ns: Ns, argv: string[]): string {
  return execFileSync('ip', ['netns', 'exec', ns.host, ...argv], { encoding: 'utf8' })
}

interface Iperf {
  gbits: number
  bytes: number
}

function iperf(ns: Ns, target: string, udp: boolean, port = IPERF_PORT): Iperf {
  const args = ['iperf3', '-c', target, '-p', String(port), '-t', String(SECONDS), '-J']
  if (udp) args.push('-u', '-b', '0', '-l', '1400')
  const json = JSON.parse(inHost(ns, args)) as {
    error?: string
    end: {
      sum_received?: { bits_per_second: number; bytes: number }
      sum?: { bits_per_second: number; bytes: number; lost_percent?: number }
    }
  }
  // TCP: what the server received. UDP (iperf3 3.12): `sum` is the receiver's view.
  const s = udp ? json.end.sum : json.end.sum_received
  if (s === undefined)
    throw new Error(`iperf3 ${args.join(' ')}: ${JSON.stringify(json).slice(0, 400)}`)
  return { gbits: s.bits_per_second / 1e9, bytes: s.bytes }
}

function rr(ns: Ns, proto: 'tcp' | 'udp', target: string, port: number): number {
  const out = inHost(ns, [process.execPath, '-e', RR, proto, target, String(port), String(SECONDS)])
  return Number(out.trim()) / SECONDS
}

/** CPU seconds (user + system, every thread) a process has used. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100
}

/** RSS of a process split into anonymous memory and file-backed pages (the node binary, koffi). */
function rssParts(pid: number): { anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(status)?.[1] ?? 0)
  return { anon: kib('RssAnon') * 1024, file: (kib('RssFile') + kib('RssShmem')) * 1024 }
}

const fmt = (xs: number[], d = 1) => xs.map((x) => x.toFixed(d)).join(', ')
const mib = (b: number) => Math.round((b / 1048576) * 10) / 10

export async function p1(results: BenchResult[]): Promise<void> {
  const ns = makeNamespaces()
  try {
    await serve(ns, ns.ctr, ['iperf3', '-s', '--forceflush', '-p', String(IPERF_PORT)], /listening/)
    await serve(ns, ns.ctr, [process.execPath, '-e', ECHO], /ready/)
    const proxy = new UserlandProxy({ netns: ns.host, startTimeoutMs: 120_000 })
    await proxy.start()
    const ctrIP = IP.parse(CTR_IP)
    for (const protocol of ['tcp', 'udp'] as const) {
      for (const port of [IPERF_PORT, ECHO_PORT]) {
        await proxy.add({
          protocol,
          hostIP: LO,
          hostPort: port,
          containerIP: ctrIP,
          containerPort: port,
        })
      }
    }
    const idle = (await proxy.stats()).rss
    const idleParts = rssParts(proxy.pid!)
    const old = base ? new base({ netns: ns.host, startTimeoutMs: 120_000 }) : undefined
    if (old) {
      await old.start()
      for (const protocol of ['tcp', 'udp'] as const) {
        for (const [hostPort, port] of [
          [BASE_IPERF, IPERF_PORT],
          [BASE_ECHO, ECHO_PORT],
        ] as const) {
          await old.add({ protocol, hostIP: LO, hostPort, containerIP: ctrIP, containerPort: port })
        }
      }
    }
    const b = {
      proxy: [] as number[],
      cpu: [] as number[],
      rr: [] as number[],
      udpRr: [] as number[],
    }
    const r = {
      direct: [] as number[],
      proxy: [] as number[],
      cpu: [] as number[],
      rss: [] as number[],
      rssAnon: [] as number[],
      rssFile: [] as number[],
      rr: [] as number[],
      rrDirect: [] as number[],
      udp: [] as number[],
      udpDirect: [] as number[],
      udpRr: [] as number[],
      udpRrDirect: [] as number[],
    }
    try {
      for (let i = 0; i < ROUNDS; i++) {
        r.direct.push(iperf(ns, CTR_IP, false).gbits)
        const cpu0 = cpuSeconds(proxy.pid!)
        const viaProxy = iperf(ns, '127.0.0.1', false)
        const cpu = cpuSeconds(proxy.pid!) - cpu0
        r.proxy.push(viaProxy.gbits)
        r.cpu.push(cpu / (viaProxy.bytes / 1e9))
        r.rss.push((await proxy.stats()).rss)
        const parts = rssParts(proxy.pid!)
        r.rssAnon.push(parts.anon)
        r.rssFile.push(parts.file)
        // the base build's request/response next to ours (adjacent runs see the same load),
        // first in every other round
        const both = (proto: 'tcp' | 'udp', mine: number[], theirs: number[]) => {
          const base = () => old && theirs.push(rr(ns, proto, '127.0.0.1', BASE_ECHO))
          if (i % 2) base()
          mine.push(rr(ns, proto, '127.0.0.1', ECHO_PORT))
          if (i % 2 === 0) base()
        }
        both('tcp', r.rr, b.rr)
        r.rrDirect.push(rr(ns, 'tcp', CTR_IP, ECHO_PORT))
        if (UDP) {
          r.udp.push(iperf(ns, '127.0.0.1', true).gbits)
          r.udpDirect.push(iperf(ns, CTR_IP, true).gbits)
          both('udp', r.udpRr, b.udpRr)
          r.udpRrDirect.push(rr(ns, 'udp', CTR_IP, ECHO_PORT))
        }
        if (old) {
          const c0 = cpuSeconds(old.pid!)
          const via = iperf(ns, '127.0.0.1', false, BASE_IPERF)
          b.cpu.push((cpuSeconds(old.pid!) - c0) / (via.bytes / 1e9))
          b.proxy.push(via.gbits)
        }
      }
    } finally {
      await proxy.stop()
      await old?.stop()
    }
    if (old) {
      const what = `the base build (${process.env.BENCH_BASE}), same rounds`
      results.push(
        {
          id: 'P1.base.proxy',
          name: `P1.proxy with ${what} (${fmt(b.proxy)})`,
          value: median(b.proxy),
          unit: 'Gbit/s',
        },
        {
          id: 'P1.base.ratio',
          name: `P1.base.proxy / P1.direct, median of pairs (${fmt(
            b.proxy.map((p, i) => p / r.direct[i]!),
            2,
          )})`,
          value: Math.round(median(b.proxy.map((p, i) => p / r.direct[i]!)) * 100) / 100,
          unit: 'x',
        },
        {
          id: 'P1.base.cpu',
          name: `P1.cpu with ${what} (${fmt(b.cpu, 2)})`,
          value: Math.round(median(b.cpu) * 100) / 100,
          unit: 'CPU-s/GB',
        },
        {
          id: 'P1.base.rr',
          name: `P1.rr with ${what} (${fmt(b.rr, 0)})`,
          value: Math.round(median(b.rr)),
          unit: 'trans/s',
        },
        {
          id: 'P1.rr.vs.base',
          name: `P1.rr / P1.base.rr, adjacent runs of one round, median (${fmt(
            r.rr.map((x, i) => x / b.rr[i]!),
            2,
          )})`,
          value: Math.round(median(r.rr.map((x, i) => x / b.rr[i]!)) * 100) / 100,
          unit: 'x',
        },
        {
          id: 'P1.base.udp.rr',
          name: `P1.udp.rr with ${what} (${fmt(b.udpRr, 0)})`,
          value: Math.round(median(b.udpRr)),
          unit: 'trans/s',
        },
      )
    }
    const ratios = r.proxy.map((p, i) => p / r.direct[i]!)
    const s = `${SECONDS} s, median of ${ROUNDS}`
    results.push(
      {
        id: 'P1.proxy',
        name: `iperf3 TCP host 127.0.0.1 -> container through the proxy (namespaces, veth), ${s} (${fmt(r.proxy)})`,
        value: median(r.proxy),
        unit: 'Gbit/s',
      },
      {
        id: 'P1.direct',
        name: `iperf3 TCP host -> container IP, no proxy, same run, ${s} (${fmt(r.direct)})`,
        value: median(r.direct),
        unit: 'Gbit/s',
      },
      {
        id: 'P1.ratio',
        name: `P1.proxy / P1.direct, pairs of one round, median (${fmt(ratios, 2)})`,
        value: Math.round(median(ratios) * 100) / 100,
        unit: 'x',
      },
      {
        id: 'P1.cpu',
        name: `proxy process CPU (user+sys, all threads) per GB relayed in P1.proxy, median (${fmt(r.cpu, 2)})`,
        value: Math.round(median(r.cpu) * 100) / 100,
        unit: 'CPU-s/GB',
      },
      {
        id: 'P1.rss.idle',
        name: `proxy RSS serving 4 mappings, before any traffic (anon ${mib(idleParts.anon)}, file ${mib(idleParts.file)})`,
        value: mib(idle),
        unit: 'MiB',
      },
      {
        id: 'P1.rss.after',
        name: `proxy RSS after each ${SECONDS}-s stream, median (${fmt(r.rss.map(mib))}; anon ${fmt(r.rssAnon.map(mib))}; file ${fmt(r.rssFile.map(mib))})`,
        value: mib(median(r.rss)),
        unit: 'MiB',
      },
      {
        id: 'P1.rr',
        name: `64-byte TCP ping-pong through the proxy, ${s} (${fmt(r.rr, 0)})`,
        value: Math.round(median(r.rr)),
        unit: 'trans/s',
      },
      {
        id: 'P1.rr.direct',
        name: `64-byte TCP ping-pong to the container IP, ${s} (${fmt(r.rrDirect, 0)})`,
        value: Math.round(median(r.rrDirect)),
        unit: 'trans/s',
      },
      {
        id: 'P1.udp',
        name: `iperf3 UDP (-b 0, 1400-byte datagrams) received through the proxy, ${s} (${fmt(r.udp, 2)})`,
        value: Math.round(median(r.udp) * 1000) / 1000,
        unit: 'Gbit/s',
      },
      {
        id: 'P1.udp.direct',
        name: `iperf3 UDP (-b 0, 1400-byte datagrams) received, to the container IP, ${s} (${fmt(r.udpDirect, 2)})`,
        value: Math.round(median(r.udpDirect) * 1000) / 1000,
        unit: 'Gbit/s',
      },
      {
        id: 'P1.udp.rr',
        name: `64-byte UDP request/response (DNS-like) through the proxy, ${s} (${fmt(r.udpRr, 0)})`,
        value: Math.round(median(r.udpRr)),
        unit: 'trans/s',
      },
      {
        id: 'P1.udp.rr.direct',
        name: `64-byte UDP request/response to the container IP, ${s} (${fmt(r.udpRrDirect, 0)})`,
        value: Math.round(median(r.udpRrDirect)),
        unit: 'trans/s',
      },
    )
    // figures not measured in this run (BENCH_UDP=0)
    for (let i = results.length - 1; i >= 0; i--)
      if (!Number.isFinite(results[i]!.value)) results.splice(i, 1)
  } finally {
    removeNamespaces(ns)
  }
}
