// Benchmarks of @libnetwork/netlink against the built package, all inside throwaway
// namespaces (the "host" side of a join is itself a test namespace, never the machine's).
// Writes bench-results/netlink.json.
import { execFileSync } from 'node:child_process'
import { closeSync, openSync } from 'node:fs'
import { IP, InterfaceAddress } from '@libnetwork/types'
import { median, now, percentile, writeResults } from '../../../tools/bench.mjs'
import { Netlink, createNetns, deleteNetns, netnsExists } from '../dist/index.js'

const RUNS = 200
const tag = `lnt-netlink-bench-${process.pid}`
const HOST = `${tag}-host`
const CTR = `${tag}-ctr`
const made: string[] = []
const mk = (name: string): string => {
  createNetns(name)
  made.push(name)
  return name
}
const ipn = (ns: string, ...args: string[]): void => {
  execFileSync('ip', ['-n', ns, ...args], { stdio: 'ignore' })
}

/**
 * The join path, RUNS times through the library then RUNS times by spawning `ip`.
 * `direct`: the container end is created inside the namespace under its final name
 * (IFLA_NET_NS_FD on the peer), which folds "move" and "rename" into the create.
 */
function n1(direct: boolean): { lib: number[]; spawn: number[] } {
  const host = mk(`${HOST}${direct ? 'd' : ''}`)
  const ctr = mk(`${CTR}${direct ? 'd' : ''}`)
  const h = Netlink.open({ netns: host })
  const c = Netlink.open({ netns: ctr })
  h.createLink({ kind: 'bridge', name: 'br0', up: true })
  c.setUp('lo')
  const ctrFd = openSync(`/var/run/netns/${ctr}`, 'r')
  const addr = InterfaceAddress.parse('172.30.0.2/16')
  const gw = IP.parse('172.30.0.1')
  const lib: number[] = []
  const spawn: number[] = []
  try {
    for (let i = 0; i < RUNS + 10; i++) {
      const hostEnd = `veth${i}`
      const tmp = `tmp${i}`
      const t0 = now()
      if (direct) {
        h.createLink({ kind: 'veth', name: hostEnd, peer: { name: 'eth0', netns: { fd: ctrFd } } })
      } else {
        h.createLink({ kind: 'veth', name: hostEnd, peer: { name: tmp } })
        h.setLink(tmp, { netns: { fd: ctrFd } })
        c.setLink(tmp, { name: 'eth0' })
      }
      c.addAddress('eth0', addr, { noDad: true })
      c.setUp('eth0')
      c.addRoute({ gateway: gw })
      h.setLink(hostEnd, { master: 'br0' })
      h.setUp(hostEnd)
      const dt = now() - t0
      if (i >= 10) lib.push(dt) // the first runs warm up the JIT
      c.deleteLink('eth0')
    }
    for (let i = 0; i < RUNS; i++) {
      const hostEnd = `veth${i}`
      const tmp = `tmp${i}`
      const t0 = now()
      if (direct) {
        ipn(host, 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ctr)
      } else {
        ipn(host, 'link', 'add', hostEnd, 'type', 'veth', 'peer', 'name', tmp)
        ipn(host, 'link', 'set', tmp, 'netns', ctr)
        ipn(ctr, 'link', 'set', tmp, 'name', 'eth0')
      }
      ipn(ctr, 'addr', 'add', '172.30.0.2/16', 'dev', 'eth0', 'nodad')
      ipn(ctr, 'link', 'set', 'eth0', 'up')
      ipn(ctr, 'route', 'add', 'default', 'via', '172.30.0.1')
      ipn(host, 'link', 'set', hostEnd, 'master', 'br0')
      ipn(host, 'link', 'set', hostEnd, 'up')
      spawn.push(now() - t0)
      c.deleteLink('eth0')
    }
  } finally {
    closeSync(ctrFd)
    h.close()
    c.close()
  }
  return { lib, spawn }
}

function n2list(): number {
  const ns = mk(`${tag}-list`)
  const h = Netlink.open({ netns: ns })
  for (let i = 0; i < 500; i++)
    h.createLink({ kind: 'veth', name: `a${i}`, peer: { name: `b${i}` } })
  const count = h.links().length
  if (count !== 1001) throw new Error(`expected 1001 links, got ${count}`)
  const times: number[] = []
  for (let i = 0; i < 30; i++) {
    const t0 = now()
    h.links()
    times.push(now() - t0)
  }
  h.close()
  return median(times.slice(5))
}

function n2netns(): number {
  const N = 200
  const t0 = now()
  for (let i = 0; i < N; i++) {
    const name = `${tag}-n${i}`
    createNetns(name)
    deleteNetns(name)
  }
  return (now() - t0) / N
}

try {
  const moved = n1(false)
  const direct = n1(true)
  const list = n2list()
  const ns = n2netns()
  const m = median(moved.lib)
  const ms = median(moved.spawn)
  const d = median(direct.lib)
  const ds = median(direct.spawn)
  writeResults('netlink', [
    {
      id: 'N1.median',
      name: 'join path over netlink (veth, move, rename, addr, up, route, master, up)',
      value: m,
      unit: 'ms',
    },
    {
      id: 'N1.p95',
      name: 'join path over netlink, 95th percentile',
      value: percentile(moved.lib, 95),
      unit: 'ms',
    },
    { id: 'N1.spawn.median', name: 'same join path spawning ip commands', value: ms, unit: 'ms' },
    { id: 'N1.speedup', name: 'spawn median / netlink median', value: ms / m, unit: 'x' },
    {
      id: 'N1.direct.median',
      name: 'join path, container end created in the namespace (no move/rename)',
      value: d,
      unit: 'ms',
    },
    {
      id: 'N1.direct.p95',
      name: 'direct join path, 95th percentile',
      value: percentile(direct.lib, 95),
      unit: 'ms',
    },
    {
      id: 'N1.direct.spawn.median',
      name: 'direct join path spawning ip commands',
      value: ds,
      unit: 'ms',
    },
    {
      id: 'N1.direct.speedup',
      name: 'direct: spawn median / netlink median',
      value: ds / d,
      unit: 'x',
    },
    { id: 'N2.list', name: 'list 1,000 links (median of 25)', value: list, unit: 'ms' },
    {
      id: 'N2.netns',
      name: 'create + delete a named namespace (200 runs)',
      value: ns,
      unit: 'ms/netns',
    },
  ])
} finally {
  for (const n of made) if (netnsExists(n)) deleteNetns(n)
}
