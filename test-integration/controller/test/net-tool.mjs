// A tiny network tool run inside namespaces (`ip netns exec <ns> node net-tool.mjs …`):
//   serve-tcp <port> <reply>     answer every connection with <reply> and close
//   get-tcp <host> <port>        print what the server sends; exit 1 on error or 2 s timeout
//   resolve <server> <name>      print the IPv4 addresses of <name> asked from <server>:53
//   serve-dns <ip> <name> <addr> a DNS server on <ip>:53 answering <name>.outside with <addr>
import net from 'node:net'
import { Resolver } from 'node:dns/promises'
import { IP } from '@libnetwork/types'
import { RecordTable, Resolver as DnsServer } from '@libnetwork/resolver'

const [mode, a, b] = process.argv.slice(2)
if (mode === 'serve-tcp') {
  const server = net.createServer((s) => s.end(b))
  server.listen(Number(a), '::', () => console.log('ready'))
} else if (mode === 'get-tcp') {
  const s = net.connect({ host: a, port: Number(b), timeout: 2000 })
  let data = ''
  s.setEncoding('utf8')
  s.on('data', (d) => (data += d))
  s.on('end', () => {
    console.log(data)
    process.exit(0)
  })
  s.on('timeout', () => {
    console.error('timeout')
    process.exit(1)
  })
  s.on('error', (e) => {
    console.error(e.message)
    process.exit(1)
  })
} else if (mode === 'resolve') {
  const r = new Resolver({ timeout: 1500, tries: 1 })
  r.setServers([a])
  r.resolve4(b).then(
    (ips) => console.log(ips.join(',')),
    (e) => {
      console.error(e.code ?? e.message)
      process.exit(1)
    },
  )
} else if (mode === 'serve-dns') {
  const table = new RecordTable()
  table.addHost('outside', b, [IP.parse(process.argv[5])])
  new DnsServer({ source: table, address: a, port: 53 }).start().then(() => console.log('ready'))
} else {
  console.error(`unknown mode ${mode}`)
  process.exit(2)
}
