// O2's prober, run inside a container's namespace (`nsenter --net=<key> node this`): reads
// {"id","name","port"} lines on stdin; for each, asks the embedded DNS (127.0.0.11) for the
// name and opens a TCP connection to the answer, again every 2 ms until one is accepted, then
// prints {"id","t"} with t = process.hrtime.bigint() in ns (CLOCK_MONOTONIC: comparable with the
// bench process's clock). Exits when stdin closes.
//
// The embedded DNS forwards names it does not own to the container's upstream; while this runs
// it answers at 127.0.0.53:53 (if that is the upstream) at once with NXDOMAIN, so a name not
// known yet costs no resolver timeout.
import { createSocket } from 'node:dgram'
import { Resolver } from 'node:dns/promises'
import { connect } from 'node:net'
import { createInterface } from 'node:readline'

const r = new Resolver({ timeout: 100, tries: 1 })
r.setServers(['127.0.0.11'])

const up = createSocket('udp4')
up.on('message', (q, rinfo) => {
  if (q.length < 12) return
  let end = 12
  while (end < q.length && q[end] !== 0) end += q[end] + 1
  end += 5
  if (end > q.length) return
  const a = Buffer.from(q.subarray(0, end))
  a[2] = 0x80 | (q[2] & 0x79)
  a[3] = 0x80 | 3
  a.writeUInt16BE(1, 4)
  a.fill(0, 6, 12)
  up.send(a, rinfo.port, rinfo.address)
})
up.on('error', () => undefined) // in use: someone else answers there
up.bind(53, '127.0.0.53')
up.unref()

function tryConnect(ip, port) {
  return new Promise((resolve) => {
    const s = connect({ host: ip, port, timeout: 200 })
    const done = (ok) => {
      s.destroy()
      resolve(ok)
    }
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
    s.once('timeout', () => done(false))
  })
}

const rl = createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  const q = JSON.parse(line)
  for (;;) {
    let ips = []
    try {
      ips = await r.resolve4(q.name)
    } catch {
      ips = []
    }
    if (ips.length && (await tryConnect(ips[0], q.port))) {
      process.stdout.write(JSON.stringify({ id: q.id, t: String(process.hrtime.bigint()) }) + '\n')
      return
    }
    await new Promise((res) => setTimeout(res, 2))
  }
})
rl.on('close', () => process.exit(0))
