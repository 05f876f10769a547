// Privileged: UDP/TCP sockets opened inside a test namespace from this thread and adopted by
// Node; bad specs, a missing namespace and a taken port give typed errors, leak no fd, and
// leave the thread in its own namespace.
import { execFileSync } from 'node:child_process'
import { createSocket } from 'node:dgram'
import { readdirSync } from 'node:fs'
import { createServer, Socket } from 'node:net'
import t from 'tap'
import { BadRequestError, ConflictError, NotFoundError } from '@libnetwork/types'
import { openSocketInNetns } from '../src/index.js'
import { ip, testNetns, threadNetns } from './helpers.js'

const fds = () => readdirSync('/proc/self/fd').length
/** The sockets `ss` sees inside the namespace. */
const ss = (ns: string, flags: string) =>
  execFileSync('ss', ['-N', ns, flags], { encoding: 'utf8' })

t.test('UDP and TCP sockets live in the namespace and work through Node', async (t) => {
  const ns = testNetns(t, 'sock')
  ip(ns, 'link', 'set', 'lo', 'up')
  const home = threadNetns()
  const before = fds()

  const udpFd = openSocketInNetns(ns, { type: 'udp4', address: '127.0.0.11', port: 53 })
  const tcpFd = openSocketInNetns(ns, {
    type: 'tcp4',
    address: '127.0.0.11',
    port: 53,
    listen: true,
  })
  t.equal(threadNetns(), home, 'the thread is back home')
  const listening = ss(ns, '-Htuln')
  t.match(listening, /udp\s+UNCONN.*127\.0\.0\.11:53/)
  t.match(listening, /tcp\s+LISTEN.*127\.0\.0\.11:53/)

  const server = createSocket('udp4')
  await new Promise<void>((res) => server.bind({ fd: udpFd }, () => res()))
  server.on('message', (m, r) =>
    server.send(Buffer.concat([Buffer.from('re:'), m]), r.port, r.address),
  )
  const listener = createServer((c) => c.end('tcp-ok'))
  await new Promise<void>((res) => listener.listen({ fd: tcpFd }, () => res()))

  // Clients inside the namespace too: a bound UDP socket and an unbound TCP one Node connects.
  const clientFd = openSocketInNetns(ns, { type: 'udp4', address: '0.0.0.0' })
  const client = createSocket('udp4')
  await new Promise<void>((res) => client.bind({ fd: clientFd }, () => res()))
  const echoed = new Promise<string>((res) => client.once('message', (m) => res(m.toString())))
  client.send('ping', 53, '127.0.0.11')
  t.equal(await echoed, 're:ping')
  const conn = new Socket({ fd: openSocketInNetns(ns, { type: 'tcp4' }) })
  conn.connect({ host: '127.0.0.11', port: 53 })
  const body = await new Promise<string>((res, rej) => {
    let b = ''
    conn.on('data', (d) => (b += d.toString()))
    conn.on('end', () => res(b))
    conn.on('error', rej)
  })
  t.equal(body, 'tcp-ok')

  // IPv6 on the namespace's loopback.
  const v6 = openSocketInNetns(ns, { type: 'udp6', address: '::1', port: 5353 })
  t.match(ss(ns, '-Huln'), /\[::1\]:5353/)
  const v6sock = createSocket('udp6')
  await new Promise<void>((res) => v6sock.bind({ fd: v6 }, () => res()))
  t.equal(v6sock.address().port, 5353)

  v6sock.close()
  client.close()
  conn.destroy()
  server.close()
  await new Promise<void>((res) => listener.close(() => res()))
  t.equal(fds(), before, 'Node closed every adopted fd')
})

t.test('bad specs are refused before any namespace is touched', (t) => {
  const before = fds()
  const missing = `lnt-netlink-gone-${process.pid}`
  const bad: unknown[] = [
    { type: 'raw' },
    undefined,
    { type: 'udp4', address: '::1' },
    { type: 'udp6', address: '127.0.0.1' },
    { type: 'udp4', address: 'localhost' },
    { type: 'udp4', address: '127.0.0.1', port: 70000 },
    { type: 'udp4', address: '127.0.0.1', port: 1.5 },
    { type: 'udp4', address: '127.0.0.1', listen: true },
    { type: 'tcp4', listen: true },
    { type: 'tcp4', port: 53 },
    { type: 'tcp4', address: '127.0.0.1', listen: true, backlog: 0 },
  ]
  for (const spec of bad) {
    t.throws(
      () => openSocketInNetns(missing, spec as never),
      BadRequestError,
      JSON.stringify(spec) ?? 'undefined',
    )
  }
  t.equal(fds(), before)
  t.end()
})

t.test('a missing namespace and a taken port: typed errors, no fd leaked, thread home', (t) => {
  const ns = testNetns(t, 'sock')
  ip(ns, 'link', 'set', 'lo', 'up')
  const home = threadNetns()
  const before = fds()
  t.throws(
    () => openSocketInNetns(`lnt-netlink-gone-${process.pid}`, { type: 'udp4' }),
    NotFoundError,
  )
  const held = openSocketInNetns(ns, {
    type: 'tcp4',
    address: '127.0.0.1',
    port: 8053,
    listen: true,
  })
  const afterHeld = fds()
  t.throws(
    () => openSocketInNetns(ns, { type: 'tcp4', address: '127.0.0.1', port: 8053, listen: true }),
    ConflictError,
    'EADDRINUSE is a ConflictError',
  )
  t.throws(
    () => openSocketInNetns(ns, { type: 'udp4', address: '192.0.2.1', port: 53 }),
    NotFoundError,
    'EADDRNOTAVAIL: the address is not in that namespace',
  )
  t.equal(fds(), afterHeld, 'the failed sockets were closed')
  t.equal(threadNetns(), home, 'the thread is back home after the errors')
  // A socket Node makes now is in the root namespace: the test namespace does not list it.
  const s = createSocket('udp4')
  s.bind(0, '127.0.0.1', () => {
    const port = s.address().port
    t.notMatch(ss(ns, '-Huln'), new RegExp(`:${port}\\b`))
    s.close()
    new Socket({ fd: held }).destroy()
    setImmediate(() => {
      t.equal(fds(), before)
      t.end()
    })
  })
})
