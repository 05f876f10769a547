// Ask a DNS server (the embedded one, 127.0.0.11, by default) from inside a container's namespace.
// Started by daemons.ts through `nsenter --net=<container netns> node dns-probe.mjs`.
//
//   node dns-probe.mjs once TYPE NAME [SERVER]   prints one JSON line {answers} or {error}, exits
//   node dns-probe.mjs watch [SERVER]            reads {"id","type","name","want"} lines on stdin;
//        asks again every 2 ms until the answer is present (want = "present") or gone ("absent"),
//        then prints {"id","answers"}; exits when stdin closes.
//
// TYPE is A, AAAA or PTR (NAME is then an IP address). Node's resolver (c-ares) does the wire
// format; one try with a short timeout, so a lost datagram is just asked again.
//
// The containers of daemons.ts name 127.0.0.53 as their DNS server, so the embedded DNS forwards
// the names it does not own there, inside the container: while it runs, this probe answers those
// at once with NXDOMAIN (a name that is gone is then told apart from a slow answer, and nothing
// leaves the container).
import { createSocket } from 'node:dgram'
import { Resolver } from 'node:dns/promises'
import { createInterface } from 'node:readline'

function resolver(server) {
  const r = new Resolver({ timeout: 300, tries: 1 })
  r.setServers([server])
  return r
}

/** The answers (sorted), [] when the name does not exist; other failures throw. */
async function ask(r, type, name) {
  try {
    if (type === 'A') return (await r.resolve4(name)).sort()
    if (type === 'AAAA') return (await r.resolve6(name)).sort()
    if (type === 'PTR') return (await r.reverse(name)).sort()
    throw new Error(`unknown type ${type}`)
  } catch (e) {
    if (e.code === 'ENOTFOUND' || e.code === 'ENODATA') return []
    throw e
  }
}

/** NXDOMAIN for every question sent to 127.0.0.53:53 (the containers' "upstream"). */
async function stubUpstream() {
  const s = createSocket('udp4')
  s.on('message', (q, rinfo) => {
    if (q.length < 12) return
    let end = 12
    while (end < q.length && q[end] !== 0) end += q[end] + 1
    end += 5 // the root label, QTYPE, QCLASS
    if (end > q.length) return
    const a = Buffer.from(q.subarray(0, end))
    a[2] = 0x80 | (q[2] & 0x79) // QR, the question's opcode and RD
    a[3] = 0x80 | 3 // RA, NXDOMAIN
    a.writeUInt16BE(1, 4) // one question
    a.fill(0, 6, 12) // no answer, authority or additional records
    s.send(a, rinfo.port, rinfo.address)
  })
  s.unref()
  await new Promise((resolve) => {
    s.once('error', resolve) // in use: another probe in this container answers
    s.bind(53, '127.0.0.53', resolve)
  })
}

const [mode, ...rest] = process.argv.slice(2)
await stubUpstream()
if (mode === 'once') {
  const [type, name, server = '127.0.0.11'] = rest
  try {
    console.log(JSON.stringify({ answers: await ask(resolver(server), type, name) }))
  } catch (e) {
    console.log(JSON.stringify({ error: `${e.code ?? ''} ${e.message}`.trim() }))
  }
} else if (mode === 'watch') {
  const r = resolver(rest[0] ?? '127.0.0.11')
  const rl = createInterface({ input: process.stdin })
  rl.on('line', async (line) => {
    const q = JSON.parse(line)
    for (;;) {
      let answers = []
      try {
        answers = await ask(r, q.type, q.name)
      } catch {
        answers = null // a timeout or refusal: ask again
      }
      if (answers && (q.want === 'absent' ? answers.length === 0 : answers.length > 0)) {
        process.stdout.write(JSON.stringify({ id: q.id, answers }) + '\n')
        return
      }
      await new Promise((res) => setTimeout(res, 2))
    }
  })
  rl.on('close', () => process.exit(0))
} else {
  console.error('usage: dns-probe.mjs once TYPE NAME [SERVER] | watch [SERVER]')
  process.exit(2)
}
