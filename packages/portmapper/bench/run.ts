// P1 (bench/p1.ts): the userland proxy's TCP and UDP relays against the direct path, in
// namespaces made for the bench; P1.dnat: host-local traffic through kernel DNAT instead of the
// proxy (loopbackDnat). P2: map and unmap 1,000 ports with rules batched, inside a namespace
// made for the bench, and the proxy's RSS. BENCH_ONLY=p1 (or p2, dnat) runs one part.
import { execFileSync, spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { median, now, writeResults, type BenchResult } from '../../../tools/bench.mjs'
import { p1 } from './p1.js'
import { IP } from '@libnetwork/types'
import { Iptables } from '@libnetwork/iptables'
import { PortAllocator } from '@libnetwork/portallocator'
import { PortMapper, UserlandProxy } from '../dist/index.js'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10)
const results: BenchResult[] = []

/** iperf3 from a "host" namespace to 127.0.0.1, DNATed by the kernel to a "container" namespace. */
async function p1dnat(): Promise<void> {
  const id = randomBytes(3).toString('hex')
  const host = `lnt-portmapper-bh-${id}`
  const ctr = `lnt-portmapper-bc-${id}`
  const ip = (...args: string[]) => execFileSync('ip', args)
  try {
    ip('netns', 'add', host)
    ip('netns', 'add', ctr)
    for (const ns of [host, ctr]) ip('-n', ns, 'link', 'set', 'lo', 'up')
    ip('-n', host, 'link', 'add', 'lnt-br0', 'type', 'bridge')
    ip('-n', host, 'addr', 'add', '172.31.98.1/24', 'dev', 'lnt-br0')
    ip('-n', host, 'link', 'set', 'lnt-br0', 'up')
    ip('-n', host, 'link', 'add', 'lnt-veth', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctr)
    ip('-n', host, 'link', 'set', 'lnt-veth', 'master', 'lnt-br0', 'up')
    ip('-n', ctr, 'addr', 'add', '172.31.98.2/24', 'dev', 'eth0')
    ip('-n', ctr, 'link', 'set', 'eth0', 'up')
    ip('-n', ctr, 'route', 'add', 'default', 'via', '172.31.98.1')
    const iptables = await Iptables.create({ netns: host })
    const mapper = new PortMapper({
      allocator: new PortAllocator(),
      iptables,
      bridge: 'lnt-br0',
      loopbackDnat: true,
    })
    await mapper.start()
    await mapper.map({
      protocol: 'tcp',
      hostPort: 5201,
      containerIP: IP.parse('172.31.98.2'),
      containerPort: 5201,
    })
    const runs: number[] = []
    for (let i = 0; i < 3; i++) {
      const server = spawn('ip', ['netns', 'exec', ctr, 'iperf3', '-s', '-1', '-p', '5201'], {
        stdio: 'ignore',
      })
      await new Promise((r) => setTimeout(r, 300))
      const out = execFileSync(
        'ip',
        [
          'netns',
          'exec',
          host,
          'iperf3',
          '-c',
          '127.0.0.1',
          '-p',
          '5201',
          '-t',
          String(SECONDS),
          '-J',
        ],
        { encoding: 'utf8' },
      )
      await once(server, 'exit')
      runs.push(
        (JSON.parse(out) as { end: { sum_received: { bits_per_second: number } } }).end.sum_received
          .bits_per_second / 1e9,
      )
    }
    await mapper.stop()
    results.push({
      id: 'P1.dnat',
      name: `iperf3 TCP host 127.0.0.1 -> container via kernel DNAT (loopbackDnat, veth), ${SECONDS} s, median of 3 (${runs.map((v) => v.toFixed(1)).join(', ')})`,
      value: median(runs),
      unit: 'Gbit/s',
    })
  } finally {
    for (const ns of [ctr, host]) {
      try {
        ip('netns', 'del', ns)
      } catch {
        // not created
      }
    }
  }
}

async function p2(): Promise<void> {
  const ns = `lnt-portmapper-b-${randomBytes(3).toString('hex')}`
  execFileSync('ip', ['netns', 'add', ns])
  try {
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    const iptables = await Iptables.create({ netns: ns })
    const proxy = new UserlandProxy({ netns: ns })
    await proxy.start()
    const idle = (await proxy.stats()).rss
    const mapper = new PortMapper({
      allocator: new PortAllocator(),
      iptables,
      proxy,
      bridge: 'lnt-br0',
    })
    await mapper.start()
    const c = IP.parse('172.31.99.2')
    const bindings = Array.from({ length: 1000 }, (_, i) => ({
      protocol: 'tcp' as const,
      hostPort: 20000 + i,
      containerIP: c,
      containerPort: 80,
    }))
    let t0 = now()
    const mapped = await mapper.map(bindings)
    const mapMs = now() - t0
    const rss = (await proxy.stats()).rss
    t0 = now()
    await mapper.unmap(mapped)
    const unmapMs = now() - t0
    // one map call (one batch) per port, for comparison
    t0 = now()
    const single = []
    for (let i = 0; i < 100; i++)
      single.push(...(await mapper.map({ ...bindings[i]!, protocol: 'udp' })))
    const singleMs = (now() - t0) / 100
    await mapper.unmap(single)
    await mapper.stop()
    await proxy.stop()
    results.push({
      id: 'P2.map',
      name: 'map 1,000 tcp ports in one call (rules in one batch, proxy serving)',
      value: mapMs / 1000,
      unit: 'ms/port',
    })
    results.push({
      id: 'P2.unmap',
      name: 'unmap those 1,000 ports in one call',
      value: unmapMs / 1000,
      unit: 'ms/port',
    })
    results.push({
      id: 'P2.map.single',
      name: 'map 100 udp ports one call (one batch) each',
      value: singleMs,
      unit: 'ms/port',
    })
    results.push({
      id: 'P2.rss',
      name: 'userland proxy RSS serving 1,000 mappings',
      value: Math.round((rss / 1048576) * 10) / 10,
      unit: 'MiB',
    })
    results.push({
      id: 'P2.rss.idle',
      name: 'userland proxy RSS with no mapping',
      value: Math.round((idle / 1048576) * 10) / 10,
      unit: 'MiB',
    })
  } finally {
    execFileSync('ip', ['netns', 'del', ns])
  }
}

const only = process.env.BENCH_ONLY
if (!only || only === 'p2') await p2()
if (!only || only === 'p1') await p1(results)
if (!only || only === 'dnat') await p1dnat()
writeResults('portmapper', results)
