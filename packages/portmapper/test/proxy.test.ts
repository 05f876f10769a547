// The userland proxy on loopback of this machine (no firewall changes, loopback traffic only).
import t, { type Test } from 'tap'
import dgram from 'node:dgram'
import net from 'node:net'
import { once } from 'node:events'
import { IP, type LibnetworkError } from '@libnetwork/types'
import { UserlandProxy } from '../src/index.js'
import { PROXY_READY_BOUND_MS } from './fixtures/mapper.js'

const LO = IP.parse('127.0.0.1')

async function freePort(): Promise<number> {
  const s = net.createServer().listen(0, '127.0.0.1')
  await once(s, 'listening')
  const port = (s.address() as net.AddressInfo).port
  s.close()
  return port
}

/** A TCP server that reads until the client half-closes, then answers and closes. */
async function tcpBackend(t: Test): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (sock) => {
    let n = 0
    sock.on('data', (b: Buffer) => {
      n += b.length
      if (b.toString().startsWith('echo:')) sock.write(b)
    })
    sock.on('end', () => sock.end(`got ${n} bytes`))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return (server.address() as net.AddressInfo).port
}

async function udpBackend(t: Test): Promise<number> {
  const s = dgram.createSocket('udp4')
  s.on('message', (m, r) => s.send(m, r.port, r.address))
  s.bind(0, '127.0.0.1')
  await once(s, 'listening')
  s.setRecvBufferSize(1 << 20)
  t.teardown(() => s.close())
  return s.address().port
}

function tcpExchange(port: number, payload: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const c = net.connect({ port, host: '127.0.0.1', allowHalfOpen: true })
    const chunks: Buffer[] = []
    c.on('data', (b: Buffer) => chunks.push(b))
    c.on('end', () => {
      c.end()
      resolve(Buffer.concat(chunks).toString())
    })
    c.on('error', reject)
    c.end(payload) // half-close: we stop sending but keep reading
  })
}

async function udpExchange(port: number, payload: Buffer, sock?: dgram.Socket): Promise<Buffer> {
  const c = sock ?? dgram.createSocket('udp4')
  const reply = once(c, 'message')
  c.send(payload, port, '127.0.0.1')
  const timer = setTimeout(() => c.emit('error', new Error('udp timeout')), 3000)
  try {
    const [msg] = (await reply) as [Buffer]
    return msg
  } finally {
    clearTimeout(timer)
    if (!sock) c.close()
  }
}

async function started(t: Test, options = {}): Promise<UserlandProxy> {
  const proxy = new UserlandProxy({ startTimeoutMs: PROXY_READY_BOUND_MS, ...options })
  await proxy.start()
  t.teardown(() => proxy.stop())
  return proxy
}

t.test('tcp with half-close, through one process', async (t) => {
  const proxy = await started(t)
  t.ok(proxy.running)
  t.type(proxy.pid, 'number')
  const backend = await tcpBackend(t)
  const hostPorts = [await freePort(), await freePort()]
  for (const hostPort of hostPorts) {
    await proxy.add({
      protocol: 'tcp',
      hostIP: LO,
      hostPort,
      containerIP: LO,
      containerPort: backend,
    })
  }
  const big = Buffer.alloc(3 << 20, 7)
  t.equal(
    await tcpExchange(hostPorts[0]!, big),
    `got ${big.length} bytes`,
    'half-close reaches the backend, answer comes back',
  )
  t.equal(await tcpExchange(hostPorts[1]!, Buffer.from('x')), 'got 1 bytes')
  t.equal((await proxy.stats()).entries, 2)
  t.equal(proxy.targets().length, 2)
  await proxy.remove({ protocol: 'tcp', hostIP: LO, hostPort: hostPorts[0]! })
  await t.rejects(
    tcpExchange(hostPorts[0]!, Buffer.from('x')),
    { code: 'ECONNREFUSED' },
    'removed listener is closed',
  )
  t.equal(
    await tcpExchange(hostPorts[1]!, Buffer.from('abc')),
    'got 3 bytes',
    'the other one still serves',
  )
})

t.test('udp flows, large datagrams and the idle timeout', async (t) => {
  const proxy = await started(t, { udpIdleMs: 150 })
  const backend = await udpBackend(t)
  const hostPort = await freePort()
  await proxy.add({
    protocol: 'udp',
    hostIP: LO,
    hostPort,
    containerIP: LO,
    containerPort: backend,
  })
  t.equal((await udpExchange(hostPort, Buffer.from('ping'))).toString(), 'ping')
  const large = Buffer.alloc(65000)
  for (let i = 0; i < large.length; i++) large[i] = i & 255
  t.ok((await udpExchange(hostPort, large)).equals(large), '65,000-byte datagram both ways')
  const a = dgram.createSocket('udp4')
  const b = dgram.createSocket('udp4')
  t.teardown(() => {
    a.close()
    b.close()
  })
  t.equal((await udpExchange(hostPort, Buffer.from('from a'), a)).toString(), 'from a')
  t.equal((await udpExchange(hostPort, Buffer.from('from b'), b)).toString(), 'from b')
  t.equal(
    (await udpExchange(hostPort, Buffer.from('a again'), a)).toString(),
    'a again',
    'replies go to the right flow',
  )
  t.ok((await proxy.stats()).connections >= 2, 'flows are tracked')
  await new Promise((r) => setTimeout(r, 600))
  t.equal((await proxy.stats()).connections, 0, 'idle flows closed')
  t.equal((await udpExchange(hostPort, Buffer.from('after idle'), a)).toString(), 'after idle')
})

t.test('takes over sockets the parent bound', async (t) => {
  const proxy = await started(t)
  const tcpBack = await tcpBackend(t)
  const udpBack = await udpBackend(t)
  const server = net.createServer().listen(0, '127.0.0.1')
  await once(server, 'listening')
  const tcpPort = (server.address() as net.AddressInfo).port
  await proxy.add(
    { protocol: 'tcp', hostIP: LO, hostPort: tcpPort, containerIP: LO, containerPort: tcpBack },
    { handle: server },
  )
  server.close() // our copy; the proxy keeps its own
  t.equal(await tcpExchange(tcpPort, Buffer.from('hello')), 'got 5 bytes')
  const sock = dgram.createSocket('udp4')
  sock.bind(0, '127.0.0.1')
  await once(sock, 'listening')
  const udpPort = sock.address().port
  await proxy.add(
    { protocol: 'udp', hostIP: LO, hostPort: udpPort, containerIP: LO, containerPort: udpBack },
    { handle: sock },
  )
  sock.close()
  t.equal((await udpExchange(udpPort, Buffer.from('taken over'))).toString(), 'taken over')
})

t.test('errors are typed and reported', async (t) => {
  const errors: LibnetworkError[] = []
  const proxy = await started(t, { onError: (e: LibnetworkError) => errors.push(e) })
  const backend = await tcpBackend(t)
  const busy = net.createServer().listen(0, '127.0.0.1')
  await once(busy, 'listening')
  t.teardown(() => busy.close())
  const busyPort = (busy.address() as net.AddressInfo).port
  await t.rejects(
    proxy.add({
      protocol: 'tcp',
      hostIP: LO,
      hostPort: busyPort,
      containerIP: LO,
      containerPort: backend,
    }),
    {
      code: 'port-in-use',
      category: 'conflict',
    },
  )
  t.equal((await proxy.stats()).entries, 0, 'failed add leaves nothing')
  const port = await freePort()
  await proxy.add({
    protocol: 'tcp',
    hostIP: LO,
    hostPort: port,
    containerIP: LO,
    containerPort: backend,
  })
  await t.rejects(
    proxy.add({
      protocol: 'tcp',
      hostIP: LO,
      hostPort: port,
      containerIP: LO,
      containerPort: backend,
    }),
    {
      code: 'port-in-use',
    },
  )
  await t.rejects(proxy.remove({ protocol: 'udp', hostIP: LO, hostPort: port }), {
    code: 'proxy-entry-not-found',
  })
  await t.rejects(
    proxy.add({
      protocol: 'sctp' as 'tcp',
      hostIP: LO,
      hostPort: port,
      containerIP: LO,
      containerPort: 1,
    }),
    {
      code: 'unsupported-protocol',
    },
  )
  t.throws(() => new UserlandProxy({ udpIdleMs: -1 }), { code: 'invalid-timeout' })
  t.throws(() => new UserlandProxy({ nodeFlags: ['--x; rm -rf /'] }), {
    code: 'invalid-node-flags',
  })
  process.kill(proxy.pid!, 'SIGKILL')
  // wait for the report (bounded generously: the machine running tests may be loaded)
  for (let waited = 0; errors.length === 0; waited += 20) {
    if (waited > 120_000) throw new Error('gave up waiting for the proxy-exited report')
    await new Promise((r) => setTimeout(r, 20))
  }
  t.equal(errors[0]?.code, 'proxy-exited', 'a dying proxy is reported')
  t.notOk(proxy.running)
  await t.rejects(proxy.stats(), { code: 'proxy-not-running' })
})

t.test(
  'IPv4 and IPv6 listeners on the same port coexist',
  { skip: process.getuid?.() === 0 ? false : 'needs root for a namespace' },
  async (t) => {
    const { execFileSync } = await import('node:child_process')
    const ns = `lnt-portmapper-p-${process.pid}`
    execFileSync('ip', ['netns', 'add', ns])
    t.teardown(() => execFileSync('ip', ['netns', 'del', ns]))
    execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up'])
    const proxy = await started(t, { netns: ns })
    const v4 = IP.parse('0.0.0.0')
    const v6 = IP.parse('::')
    for (const protocol of ['tcp', 'udp'] as const) {
      await proxy.add({ protocol, hostIP: v4, hostPort: 5000, containerIP: LO, containerPort: 1 })
      await proxy.add({
        protocol,
        hostIP: v6,
        hostPort: 5000,
        containerIP: IP.parse('::1'),
        containerPort: 1,
      })
    }
    t.equal((await proxy.stats()).entries, 4)
  },
)
