// One gossip node in its own process, driven over stdin/stdout with JSON lines.
// argv[2]: JSON { name, port, dist?: path of the module to import, config? }.
// stdin: "join <host:port>", "watch <name>", "stats", "leave", "exit". stdout: events and
// answers, each stamped with this process's Date.now().
import { createInterface } from 'node:readline'

const opts = JSON.parse(process.argv[2])
const mod = await import(opts.module ?? '../dist/index.js')
const { IP } = await import('@libnetwork/types')
const say = (o) => process.stdout.write(JSON.stringify({ t: Date.now(), ...o }) + '\n')

const g = new mod.Gossip({
  name: opts.name,
  bindAddr: IP.parse('127.0.0.1'),
  bindPort: opts.port ?? 0,
  ...(opts.config ?? {}),
})
let full = false
let cpuJoin = process.cpuUsage()
const check = () => {
  if (!full && opts.expect && g.numMembers() >= opts.expect) {
    full = true
    const c = process.cpuUsage(cpuJoin)
    say({ full: g.numMembers(), cpu: (c.user + c.system) / 1000 })
  }
}
g.on('join', (m) => {
  say({ event: 'join', node: m.name })
  check()
})
g.on('leave', (m) => say({ event: 'leave', node: m.name, state: m.state }))
await g.start()
say({ ready: g.address.port })
let cpu0 = process.cpuUsage()
let bytes0 = g.metrics.bytesSent + g.metrics.bytesReceived
let sent0 = g.metrics.bytesSent
let t0 = Date.now()
for await (const line of createInterface({ input: process.stdin })) {
  const [cmd, arg] = line.trim().split(' ')
  if (cmd === 'go') cpuJoin = process.cpuUsage()
  if (cmd === 'join') {
    cpuJoin = process.cpuUsage()
    try {
      const tj = Date.now()
      await g.join([arg])
      say({ joined: Date.now() - tj, members: g.numMembers() })
      check()
    } catch (err) {
      say({ error: err.message })
    }
  } else if (cmd === 'watch') {
    say({ watch: arg, health: g.healthScore })
    // no event exists for suspicion (memberlist has none either): poll the member's state
    // every 2 ms and report the first time it is seen suspect
    const timer = setInterval(() => {
      const st = g.member(arg)?.state
      if (st === 'suspect') say({ suspect: arg })
      if (st !== 'alive') clearInterval(timer)
    }, 2)
  } else if (cmd === 'mark') {
    cpu0 = process.cpuUsage()
    bytes0 = g.metrics.bytesSent + g.metrics.bytesReceived
    sent0 = g.metrics.bytesSent
    t0 = Date.now()
    say({ marked: true })
  } else if (cmd === 'stats') {
    const cpu = process.cpuUsage(cpu0)
    say({
      stats: {
        members: g.numMembers(),
        rss: process.memoryUsage().rss,
        cpuMicros: cpu.user + cpu.system,
        bytes: g.metrics.bytesSent + g.metrics.bytesReceived - bytes0,
        sent: g.metrics.bytesSent - sent0,
        ms: Date.now() - t0,
        declaredDead: g.metrics.counters.declaredDead ?? 0,
      },
    })
  } else if (cmd === 'leave') {
    await g.leave({ timeoutMs: 2000 })
    say({ left: true })
  } else if (cmd === 'exit') {
    await g.stop()
    process.exit(0)
  }
}
