// The resolver serving sockets an injected factory opened (fds adopted by Node), and every
// failure path of that hand-over: typed errors, nothing left running, no fd leaked.
import t from 'tap'
import { openSync, readdirSync } from 'node:fs'
import { IP, BadRequestError, ConflictError, UnavailableError } from '@libnetwork/types'
import { RecordTable, Resolver, type SocketSpec } from '../src/index.js'
import { FakeUpstream, encodeQuery, rcodeOf, tcp, tcpRaw, udp } from './helpers.js'
import { openSocket, opened } from './fixtures/sockets.js'

const fds = () => readdirSync('/proc/self/fd').length

function table(): RecordTable {
  const r = new RecordTable()
  r.addHost('frontend', 'web', [IP.parse('172.18.0.2')])
  return r
}

t.test('answers and forwards over UDP and TCP through factory sockets', async (t) => {
  const up = await new FakeUpstream('192.0.2.9').start()
  t.teardown(() => up.stop())
  const before = fds()
  opened.length = 0
  const resolver = new Resolver({
    source: table(),
    address: '127.0.0.1',
    port: 0,
    upstreams: [{ address: '127.0.0.1', port: up.port }],
    openSocket: (spec) => openSocket(spec),
  })
  const { port } = await resolver.start()
  t.not(port, 0)
  t.same((await udp(port, { name: 'web' })).answers[0]?.data, '172.18.0.2')
  t.same((await tcp(port, { name: 'web' })).answers[0]?.data, '172.18.0.2')
  t.same((await udp(port, { name: 'out.example' })).answers[0]?.data, '192.0.2.9')
  t.same((await tcp(port, { name: 'out.example' })).answers[0]?.data, '192.0.2.9')
  t.same(
    opened.map((s) => [s.type, s.address, s.listen === true]),
    [
      ['udp4', '127.0.0.1', false],
      ['tcp4', '127.0.0.1', true],
      ['udp4', '0.0.0.0', false],
      ['udp6', '::', false],
      ['tcp4', undefined, false],
    ],
    'listeners, forwarding sockets, and one unbound TCP socket per TCP-forwarded query',
  )
  t.equal(resolver.stats.forwarded, 2)
  await resolver.stop()
  t.equal(fds(), before, 'every adopted fd is closed by stop()')
})

t.test('a factory error fails start with a typed error and leaks nothing', async (t) => {
  const before = fds()
  const conflict = new ConflictError('eaddrinuse', 'taken')
  const typed = new Resolver({
    source: table(),
    address: '127.0.0.1',
    port: 0,
    openSocket: () => {
      throw conflict
    },
  })
  await t.rejects(typed.start(), conflict, 'typed errors pass through unchanged')

  const plain = new Resolver({
    source: table(),
    address: '127.0.0.1',
    port: 0,
    openSocket: () => {
      throw new Error('no namespace')
    },
  })
  await t.rejects(plain.start(), UnavailableError, 'other errors become UnavailableError')

  const negative = new Resolver({ source: table(), port: 0, openSocket: () => -1 })
  await t.rejects(negative.start(), { name: 'BadRequestError', code: 'invalid-socket-fd' })

  // A file is no socket: refused, and its fd closed.
  const file = new Resolver({
    source: table(),
    port: 0,
    openSocket: () => openSync('/proc/self/status', 'r'),
  })
  await t.rejects(file.start(), BadRequestError)
  t.equal(fds(), before, 'the file fd was closed')

  // UDP bound, then TCP refused: the UDP socket goes too, and a good factory starts afterwards.
  const fixedPort = new Resolver({
    source: table(),
    address: '127.0.0.1',
    port: 0,
    openSocket: (spec) => {
      if (spec.type === 'tcp4') throw new ConflictError('eaddrinuse', 'tcp taken')
      return openSocket(spec)
    },
  })
  await t.rejects(fixedPort.start(), ConflictError)
  t.equal(fds(), before, 'the UDP fd was closed after the TCP failure')
  t.equal(fixedPort.address.port, 0, 'not started')

  t.throws(
    () => new Resolver({ source: table(), openSocket: 5 as unknown as () => number }),
    BadRequestError,
  )
  t.equal(fds(), before)
})

t.test('a fixed port taken for TCP: ConflictError, nothing leaked', async (t) => {
  // Hold a TCP listener; a resolver asked for the same fixed port cannot listen there.
  const holder = openSocket({ type: 'tcp4', address: '127.0.0.1', port: 0, listen: true })
  const { createServer } = await import('node:net')
  const server = createServer()
  await new Promise<void>((res) => server.listen({ fd: holder }, () => res()))
  t.teardown(() => server.close())
  const port = (server.address() as { port: number }).port
  const before = fds()
  const fixed = new Resolver({
    source: table(),
    address: '127.0.0.1',
    port,
    openSocket: (spec) => openSocket(spec),
  })
  await t.rejects(fixed.start(), ConflictError)
  t.equal(fds(), before, 'nothing leaked')
})

t.test('a TCP-forwarded query whose socket cannot be made gets SERVFAIL', async (t) => {
  const up = await new FakeUpstream('192.0.2.9').start()
  t.teardown(() => up.stop())
  const before = fds()
  const resolver = new Resolver({
    source: table(),
    address: '127.0.0.1',
    port: 0,
    upstreams: [{ address: '127.0.0.1', port: up.port }],
    openSocket: (spec: SocketSpec) => {
      if (spec.address === undefined) throw new Error('no more sockets')
      return openSocket(spec)
    },
  })
  const { port } = await resolver.start()
  const raw = await tcpRaw(port, encodeQuery({ name: 'out.example' }))
  t.equal(rcodeOf(raw!), 2, 'SERVFAIL')
  t.equal(up.received, 0, 'nothing reached the upstream')
  t.same(
    (await udp(port, { name: 'out.example' })).answers[0]?.data,
    '192.0.2.9',
    'UDP still works',
  )
  await resolver.stop()
  t.equal(fds(), before)
})

t.test('start/stop cycles keep the fd count flat', async (t) => {
  const resolver = new Resolver({
    source: table(),
    address: '127.0.0.1',
    port: 0,
    openSocket: (spec) => openSocket(spec),
  })
  await resolver.start()
  await resolver.stop()
  const before = fds()
  for (let i = 0; i < 20; i++) {
    await resolver.start()
    await resolver.stop()
  }
  t.equal(fds(), before)
})
