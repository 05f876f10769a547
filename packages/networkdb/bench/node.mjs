// One NetworkDB node in its own process, driven by bench/run.ts over IPC.
import { IP } from '@libnetwork/types'
import { NetTransport } from '@libnetwork/gossip'
import { GossipMembership, NetworkDB } from '../dist/index.js'
import { mainThreadCpuMs, startLoopMonitor } from './loop-monitor.mjs'

const name = process.argv[2]
const clock = () => performance.timeOrigin + performance.now()

/** Counts UDP bytes handed to the socket. */
class CountingTransport {
  constructor(inner) {
    this.inner = inner
    this.udpBytes = 0
  }
  start(h) {
    return this.inner.start(h)
  }
  sendPacket(buf, to) {
    this.udpBytes += buf.length
    this.inner.sendPacket(buf, to)
  }
  dialStream(to, opts) {
    return this.inner.dialStream(to, opts)
  }
  stop() {
    return this.inner.stop()
  }
}

const transport = new CountingTransport(
  new NetTransport({ bindAddr: IP.parse('127.0.0.1'), bindPort: 0 }),
)
const membership = new GossipMembership(name, { transport })
const db = new NetworkDB({ nodeId: name, membership })
const live = new Map()
let falseDeaths = 0
let monitor
const tick = () => new Promise((r) => setImmediate(r))
const waiters = []

function check() {
  for (let i = waiters.length - 1; i >= 0; i--) {
    const w = waiters[i]
    if (w.cond()) {
      waiters.splice(i, 1)
      process.send({ id: w.id, at: clock() })
    }
  }
}

async function watchAll() {
  for await (const ev of db.watch()) {
    const k = `${ev.table}/${ev.network}`
    const d = ev.type === 'create' ? 1 : ev.type === 'delete' ? -1 : 0
    live.set(k, (live.get(k) ?? 0) + d)
    check()
  }
}

const value = (i, size) => Buffer.from(`${name}:${i}:`.padEnd(size, 'x'))

process.on('message', async (msg) => {
  const reply = (r = {}) => process.send({ id: msg.id, ...r })
  try {
    switch (msg.cmd) {
      case 'start': {
        await db.start()
        membership.gossip.on('failed', () => falseDeaths++)
        void watchAll()
        const a = membership.gossip.address
        return reply({ address: `${a.ip.toString()}:${a.port}` })
      }
      case 'join':
        await db.join(msg.seeds)
        return reply({ members: membership.alive().length })
      case 'address': {
        const a = membership.gossip.address
        return reply({ address: `${a.ip.toString()}:${a.port}` })
      }
      case 'members':
        return reply({ members: membership.alive().length })
      case 'joinNetwork': {
        const t0 = clock()
        await db.joinNetwork(msg.network)
        const ms = clock() - t0
        return reply({ ms, count: db.networkStats(msg.network).entries })
      }
      case 'leaveNetwork':
        await db.leaveNetwork(msg.network)
        return reply()
      case 'peers':
        return reply({ peers: db.networkPeers(msg.network).length })
      case 'create':
      case 'delete': {
        const t0 = clock()
        // an application that yields every `batch` writes (default: never); the longest
        // batch (wall and CPU ms) is the part of a stall that is the writer's own loop
        const batch = msg.batch || msg.n
        let maxBatchMs = 0
        let maxBatchCpuMs = 0
        for (let i = 0; i < msg.n; i += batch) {
          const w0 = performance.now()
          const c0 = mainThreadCpuMs()
          for (let j = i; j < Math.min(msg.n, i + batch); j++) {
            if (msg.cmd === 'create')
              db.createEntry(msg.table, msg.network, `${name}-${j}`, value(j, msg.size))
            else db.deleteEntry(msg.table, msg.network, `${name}-${j}`)
          }
          maxBatchMs = Math.max(maxBatchMs, performance.now() - w0)
          maxBatchCpuMs = Math.max(maxBatchCpuMs, mainThreadCpuMs() - c0)
          if (i + batch < msg.n) await tick()
        }
        return reply({ t0, maxBatchMs, maxBatchCpuMs })
      }
      case 'waitCount': {
        const k = `${msg.table}/${msg.network}`
        waiters.push({ id: msg.id, cond: () => (live.get(k) ?? 0) === msg.count })
        return check()
      }
      case 'waitGone': {
        const k = `${msg.table}/${msg.network}`
        waiters.push({
          id: msg.id,
          cond: () =>
            (live.get(k) ?? 0) === msg.count &&
            !membership.alive().includes(msg.node) &&
            db.clusterPeers().find((p) => p.name === msg.node)?.status !== 'active',
        })
        const timer = setInterval(() => {
          check()
          if (!waiters.some((w) => w.id === msg.id)) clearInterval(timer)
        }, 5)
        return check()
      }
      case 'count':
        return reply({
          count: db.getTable(msg.table, msg.network).length,
          tableBytesReceived: db.cluster.stats.tableBytesReceived,
        })
      case 'monitor':
        monitor = startLoopMonitor()
        return reply()
      case 'monitorStop':
        return reply(monitor.stop())
      case 'stats': {
        const cpu = process.cpuUsage()
        return reply({
          cpuS: (cpu.user + cpu.system) / 1e6,
          maxRssMiB: process.resourceUsage().maxRSS / 1024,
          udpBytes: transport.udpBytes,
          bulkBytes: db.cluster.stats.bulkBytesSent,
          bulkSyncs: db.cluster.stats.bulkSyncs,
          bulkRetries: db.cluster.stats.bulkRetries,
          receivedLater: db.cluster.stats.receivedLater,
          falseDeaths,
        })
      }
      case 'stop':
        await db.stop()
        reply()
        return process.exit(0)
    }
  } catch (err) {
    reply({ error: String(err?.stack ?? err) })
  }
})
process.send({ ready: true })
