// The proxy's kernel relay (splice) on loopback of this machine: bulk connections move to it,
// bytes arrive intact and in order, half-close, back-pressure, resets and removal behave as with
// the copying relay. Loopback traffic only, no firewall changes.
import t, { type Test } from 'tap'
import { createHash } from 'node:crypto'
import net from 'node:net'
import { once } from 'node:events'
import { IP } from '@libnetwork/types'
import { UserlandProxy } from '../src/index.js'
import { PROXY_READY_BOUND_MS } from './fixtures/mapper.js'

const LO = IP.parse('127.0.0.1')
const skip =
  process.platform === 'linux' && (process.arch === 'x64' || process.arch === 'arm64')
    ? false
    : 'the kernel relay uses splice and epoll (Linux on x86-64 or arm64)'

/** Poll `check` until it holds; fail naming `what` if it does not within a generous bound. */
async function until(what: string, check: () => Promise<boolean> | boolean, boundMs = 120_000) {
  const deadline = Date.now() + boundMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`gave up after ${boundMs} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i += 4) b.writeUInt32LE((i * 2654435761 + seed) >>> 0, i)
  return b
}

const sha = (b: Buffer | Buffer[]) =>
  createHash('sha256')
    .update(Buffer.concat([b].flat()))
    .digest('hex')

async function listen(t: Test, onConn: (s: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, onConn)
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.teardown(() => server.close())
  return (server.address() as net.AddressInfo).port
}

async function proxyTo(t: Test, backend: number) {
  const proxy = new UserlandProxy({ startTimeoutMs: PROXY_READY_BOUND_MS })
  await proxy.start()
  t.teardown(() => proxy.stop())
  const probe = net.createServer().listen(0, '127.0.0.1')
  await once(probe, 'listening')
  const hostPort = (probe.address() as net.AddressInfo).port
  probe.close()
  await proxy.add({
    protocol: 'tcp',
    hostIP: LO,
    hostPort,
    containerIP: LO,
    containerPort: backend,
  })
  return { proxy, hostPort }
}

t.test('bulk: kernel relay, back-pressure, half-close, integrity', { skip }, async (t) => {
  const up = pattern(64 << 20, 1)
  const down = pattern(6 << 20, 2)
  let backendSock: net.Socket | undefined
  const received: Buffer[] = []
  let receivedBytes = 0
  let backendDone: (hash: string) => void = () => {}
  const backendHash = new Promise<string>((r) => (backendDone = r))
  const port = await listen(t, (s) => {
    backendSock = s
    s.on('data', (b: Buffer) => {
      received.push(b)
      receivedBytes += b.length
      // stop reading after 4 MiB: the relay must hold back the rest, not buffer it
      if (receivedBytes >= 4 << 20 && receivedBytes - b.length < 4 << 20) s.pause()
    })
    s.on('end', () => {
      s.end(down)
      backendDone(sha(received))
    })
  })
  const { proxy, hostPort } = await proxyTo(t, port)
  const rss0 = (await proxy.stats()).rss

  const client = net.connect({ port: hostPort, host: '127.0.0.1', allowHalfOpen: true })
  t.teardown(() => client.destroy())
  const got: Buffer[] = []
  client.on('data', (b: Buffer) => got.push(b))
  const clientEnded = once(client, 'end')
  client.end(up) // 64 MiB (more than every kernel buffer on the way holds), then FIN

  await until('the backend to stop reading after 4 MiB', () => backendSock?.isPaused() === true)
  await until('the connection to move to the kernel relay', async () => {
    const s = await proxy.stats()
    return s.kernelRelays === 1
  })
  const held = await proxy.stats()
  t.equal(held.connections, 1)
  t.ok(
    held.rss - rss0 < 16 << 20,
    `the proxy does not buffer what the backend does not read (RSS grew ${((held.rss - rss0) / 1048576).toFixed(1)} MiB while tens of MiB are held back)`,
  )
  t.ok(client.writableLength > 0, 'the client is held back (back-pressure reaches it)')

  backendSock!.resume()
  t.equal(await backendHash, sha(up), 'every byte arrived in order, then the FIN')
  t.equal(receivedBytes, up.length)
  await clientEnded
  t.equal(sha(got), sha(down), 'the answer after the half-close came back whole, then EOF')
  await until('the relayed pair to close', async () => {
    const s = await proxy.stats()
    return s.connections === 0 && s.kernelRelays === 0
  })
})

t.test(
  'small messages stay on the copying relay however many bytes they add up to',
  { skip },
  async (t) => {
    // an echo backend: every message comes back as it is
    const port = await listen(t, (s) => {
      s.setNoDelay(true)
      s.on('data', (b: Buffer) => s.write(b))
      s.on('error', () => {})
    })
    const { proxy, hostPort } = await proxyTo(t, port)
    const client = net.connect({ port: hostPort, host: '127.0.0.1', noDelay: true })
    t.teardown(() => client.destroy())
    await once(client, 'connect')
    // 1 KiB messages, one in flight at a time, until 3 MiB went through (both ways): more than
    // BULK_BYTES, but no read is a full one
    const msg = pattern(1024, 4)
    const rounds = 1536
    let back = 0
    let answered = 0
    const done = new Promise<void>((resolve, reject) => {
      client.on('error', reject)
      client.on('data', (b: Buffer) => {
        back += b.length
        while (back >= msg.length && answered < rounds) {
          back -= msg.length
          if (++answered === rounds) return resolve()
          client.write(msg)
        }
      })
    })
    client.write(msg)
    await done
    const s = await proxy.stats()
    t.equal(s.connections, 1, 'the connection is open')
    t.equal(s.kernelRelays, 0, 'a ping-pong of small messages is not handed to the kernel relay')
    // the same connection turns bulk: it moves
    client.write(pattern(4 << 20, 5))
    await until('the connection to move to the kernel relay once it carries bulk', async () => {
      return (await proxy.stats()).kernelRelays === 1
    })
    t.pass('bulk traffic on the same connection moved it to the kernel relay')
  },
)

t.test('a reset on one side closes the other; remove closes relayed pairs', { skip }, async (t) => {
  const backends: net.Socket[] = []
  const port = await listen(t, (s) => {
    backends.push(s)
    s.on('error', () => {})
    s.resume()
  })
  const { proxy, hostPort } = await proxyTo(t, port)

  const open = async () => {
    const c = net.connect({ port: hostPort, host: '127.0.0.1' })
    c.on('error', () => {})
    t.teardown(() => c.destroy())
    const before = (await proxy.stats()).kernelRelays
    c.write(pattern(2 << 20, 3)) // bulk: moves the connection to the kernel relay
    await until('a connection to move to the kernel relay', async () => {
      return (await proxy.stats()).kernelRelays === before + 1
    })
    return c
  }

  const first = await open()
  const closed = once(first, 'close')
  backends[0]!.resetAndDestroy()
  await closed
  t.pass('the client side closed after the backend reset')
  await until('the reset pair to be gone', async () => (await proxy.stats()).connections === 0)

  const second = await open()
  const third = await open()
  const bothClosed = Promise.all([once(second, 'close'), once(third, 'close')])
  await proxy.remove({ protocol: 'tcp', hostIP: LO, hostPort })
  await bothClosed
  t.pass('removing the listener closed its relayed connections')
  const s = await proxy.stats()
  t.equal(s.kernelRelays, 0)
  t.equal(s.connections, 0)
})
