// A local upstream DNS server for benchmark R2, run as its own process on 127.0.0.1: it
// answers every query with one A record (192.0.2.1, TEST-NET), encoding with dns-packet once
// per distinct question and patching the id afterwards. Prints its port on stdout.
import { createSocket } from 'node:dgram'
import dnsPacket from 'dns-packet'

const sock = createSocket('udp4')
const cache = new Map<string, Buffer>()

sock.on('message', (msg, rinfo) => {
  if (msg.length < 12) return
  const key = msg.toString('latin1', 12)
  let answer = cache.get(key)
  if (answer === undefined) {
    try {
      const q = dnsPacket.decode(msg)
      answer = dnsPacket.encode({
        type: 'response',
        id: 0,
        flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE,
        questions: q.questions,
        answers: (q.questions ?? []).map((x) => ({
          type: 'A' as const,
          name: x.name,
          ttl: 60,
          data: '192.0.2.1',
        })),
      })
    } catch {
      return
    }
    cache.set(key, answer)
  }
  const out = Buffer.from(answer)
  out[0] = msg[0]!
  out[1] = msg[1]!
  sock.send(out, rinfo.port, rinfo.address)
})

sock.bind(0, '127.0.0.1', () => {
  process.stdout.write(`${sock.address().port}\n`)
})
process.on('SIGTERM', () => {
  sock.close()
  process.exit(0)
})
