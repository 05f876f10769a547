import t, { type Test } from 'tap'
import { existsSync } from 'node:fs'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { request } from 'node:http'
import { ConflictError, NotFoundError } from '@libnetwork/types'
import {
  ERROR_CATEGORY_HEADER,
  ERROR_CODE_HEADER,
  pluginServer,
  type NetworkDriverHandlers,
} from '../src/index.js'
import { post, tempDir } from './helpers.js'

const calls: Array<[string, unknown]> = []
const network: NetworkDriverHandlers = {
  createNetwork: (req) => void calls.push(['createNetwork', req]),
  deleteNetwork: (req) => {
    throw new NotFoundError('no-such-network', `network ${req.NetworkID} not found`)
  },
  createEndpoint: () => ({ Interface: { MacAddress: '02:42:ac:11:00:02' } }),
  deleteEndpoint: () => {
    throw new Error('disk on fire')
  },
  join: (req) => ({ InterfaceName: { SrcName: `veth${req.EndpointID}`, DstPrefix: 'eth' } }),
  leave: () => {},
}

async function started(t: Test) {
  const sock = join(tempDir(t), 'sub', 'p.sock')
  const s = pluginServer({ network })
  await s.listen({ socketPath: sock })
  t.teardown(() => s.close())
  return { s, sock }
}

t.test('handshake and capabilities', async (t) => {
  const { s, sock } = await started(t)
  t.equal(s.address, `unix://${sock}`)
  const a = await post(sock, '/Plugin.Activate', '')
  t.equal(a.status, 200)
  t.equal(a.headers['content-type'], 'application/vnd.docker.plugins.v1+json')
  t.same(a.json, { Implements: ['NetworkDriver'] })
  t.same((await post(sock, '/NetworkDriver.GetCapabilities', null)).json, { Scope: 'local' })
  const ipamOnly = await post(sock, '/IpamDriver.RequestPool', {})
  t.equal(ipamOnly.status, 404, 'IPAM calls are not served by a network-only plugin')
  t.match(ipamOnly.json, { Err: /not served/ })
})

t.test('requests: defaults filled, content types, malformed bodies', async (t) => {
  const { sock } = await started(t)
  calls.length = 0
  const ok = await post(sock, '/NetworkDriver.CreateNetwork', { NetworkID: 'n1', Options: null })
  t.equal(ok.status, 200)
  t.same(ok.json, {})
  t.same(calls, [['createNetwork', { NetworkID: 'n1', Options: {}, IPv4Data: [], IPv6Data: [] }]])
  for (const ct of [
    'application/vnd.docker.plugins.v1+json',
    'application/vnd.docker.plugins.v1.1+json',
    'application/json; charset=utf-8',
  ]) {
    const r = await post(
      sock,
      '/NetworkDriver.CreateNetwork',
      { NetworkID: 'n2' },
      {
        'content-type': ct,
      },
    )
    t.equal(r.status, 200, `accepts ${ct}`)
  }
  const bad = await post(sock, '/NetworkDriver.CreateNetwork', '{"NetworkID":', {})
  t.equal(bad.status, 400)
  t.match(bad.json, { Err: /malformed JSON/ })
  t.equal(bad.headers[ERROR_CATEGORY_HEADER], 'bad-request')
  const missing = await post(sock, '/NetworkDriver.Join', { NetworkID: 'n1', EndpointID: 'e' })
  t.equal(missing.status, 400)
  t.same(missing.json, { Err: 'SandboxKey is required' })
  const wrongType = await post(sock, '/NetworkDriver.DeleteNetwork', { NetworkID: 5 })
  t.same(wrongType.json, { Err: 'NetworkID must be a string' })
  const notObject = await post(sock, '/NetworkDriver.DeleteNetwork', '[1]')
  t.same(notObject.json, { Err: 'the request body must be a JSON object' })
  const xml = await post(sock, '/Plugin.Activate', '<x/>', { 'content-type': 'text/xml' })
  t.equal(xml.status, 415)
  const get = await post(sock, '/Plugin.Activate', '', {}, 'GET')
  t.equal(get.status, 405)
  t.equal(calls.length, 4, 'no handler ran for a refused request')
})

t.test('answers, fallbacks and errors', async (t) => {
  const { sock } = await started(t)
  const ep = await post(sock, '/NetworkDriver.CreateEndpoint', { NetworkID: 'n', EndpointID: 'e' })
  t.same(ep.json, { Interface: { MacAddress: '02:42:ac:11:00:02' } })
  const join = await post(sock, '/NetworkDriver.Join', {
    NetworkID: 'n',
    EndpointID: 'e1',
    SandboxKey: '/var/run/netns/x',
  })
  t.same(join.json, { InterfaceName: { SrcName: 'vethe1', DstPrefix: 'eth' } })
  t.same(
    (await post(sock, '/NetworkDriver.EndpointOperInfo', { NetworkID: 'n', EndpointID: 'e' })).json,
    {
      Value: {},
    },
  )
  t.same(
    (await post(sock, '/NetworkDriver.DiscoverNew', { DiscoveryType: 1, DiscoveryData: {} })).json,
    {},
  )
  const program = await post(sock, '/NetworkDriver.ProgramExternalConnectivity', {
    NetworkID: 'n',
    EndpointID: 'e',
  })
  t.equal(program.status, 404, 'an optional call without a handler is "not supported"')
  const typed = await post(sock, '/NetworkDriver.DeleteNetwork', { NetworkID: 'n9' })
  t.equal(typed.status, 500)
  t.same(typed.json, { Err: 'network n9 not found' })
  t.equal(typed.headers[ERROR_CATEGORY_HEADER], 'not-found')
  t.equal(typed.headers[ERROR_CODE_HEADER], 'no-such-network')
  const plain = await post(sock, '/NetworkDriver.DeleteEndpoint', {
    NetworkID: 'n',
    EndpointID: 'e',
  })
  t.equal(plain.status, 500)
  t.same(plain.json, { Err: 'disk on fire' })
  t.equal(plain.headers[ERROR_CATEGORY_HEADER], undefined)
  const unknown = await post(sock, '/NetworkDriver.Frobnicate', {})
  t.equal(unknown.status, 404)
})

t.test('sockets: stale replaced, live refused, removed on close; TCP', async (t) => {
  const dir = tempDir(t)
  const sock = join(dir, 'p.sock')
  // A stale socket file: a process bound it and was killed before it could unlink it.
  spawnSync(process.execPath, [
    '-e',
    "require('net').createServer().listen(process.argv[1], () => process.kill(process.pid, 'SIGKILL'))",
    sock,
  ])
  t.ok(existsSync(sock), 'stale socket file left behind')
  const s = pluginServer({ network })
  await s.listen({ socketPath: sock })
  t.same((await post(sock, '/Plugin.Activate', '')).json, { Implements: ['NetworkDriver'] })
  const second = pluginServer({ network })
  await t.rejects(second.listen({ socketPath: sock }), { code: 'plugin-socket-in-use' })
  await t.rejects(s.listen({ socketPath: sock }), ConflictError)
  await s.close()
  t.notOk(existsSync(sock), 'socket file removed on close')

  const tcp = pluginServer({
    ipam: {
      requestPool: () => ({ PoolID: 'p', Pool: '10.0.0.0/24' }),
      releasePool: () => {},
      requestAddress: () => ({ Address: '10.0.0.2/24' }),
      releaseAddress: () => {},
    },
  })
  await tcp.listen({ port: 0 })
  t.teardown(() => tcp.close())
  const m = /^tcp:\/\/127\.0\.0\.1:(\d+)$/.exec(tcp.address ?? '')
  t.ok(m, `listens on loopback: ${tcp.address}`)
  const answer = await new Promise<string>((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: Number(m![1]),
        path: '/IpamDriver.GetDefaultAddressSpaces',
        method: 'POST',
      },
      (res) => {
        let s = ''
        res.on('data', (c: Buffer) => (s += c.toString()))
        res.on('end', () => resolve(s))
      },
    )
    req.on('error', reject)
    req.end()
  })
  t.same(JSON.parse(answer), {
    LocalDefaultAddressSpace: 'local',
    GlobalDefaultAddressSpace: 'global',
  })
  t.throws(() => pluginServer({}), { code: 'plugin-no-handlers' })
})

t.test('a handler sees the client go away', async (t) => {
  const sock = join(tempDir(t), 'p.sock')
  let aborted!: () => void
  const sawAbort = new Promise<void>((r) => (aborted = r))
  let entered!: () => void
  const inHandler = new Promise<void>((r) => (entered = r))
  const s = pluginServer({
    network: {
      ...network,
      leave: (_req, { signal }) =>
        new Promise<void>((resolve) => {
          signal.addEventListener('abort', () => {
            aborted()
            resolve()
          })
          entered()
        }),
    },
  })
  await s.listen({ socketPath: sock })
  t.teardown(() => s.close())
  const req = request({ socketPath: sock, path: '/NetworkDriver.Leave', method: 'POST' })
  req.on('error', () => {})
  req.end(JSON.stringify({ NetworkID: 'n', EndpointID: 'e' }))
  await inHandler
  req.destroy()
  await sawAbort
  t.pass('signal aborted when the client disconnected')
})

t.test('a body over maxBodyBytes is refused before any handler runs', async (t) => {
  const sock = join(tempDir(t), 'p.sock')
  let ran = false
  const s = pluginServer({
    network: { ...network, createNetwork: () => void (ran = true) },
    maxBodyBytes: 64,
  })
  await s.listen({ socketPath: sock })
  t.teardown(() => s.close())
  const big = await post(sock, '/NetworkDriver.CreateNetwork', {
    NetworkID: 'n'.repeat(100),
  })
  t.equal(big.status, 413)
  t.match(big.json, { Err: /over 64 bytes/ })
  t.notOk(ran)
  const small = await post(sock, '/NetworkDriver.CreateNetwork', { NetworkID: 'n' })
  t.equal(small.status, 200)
  t.ok(ran)
})
