// Protocol edge cases against real HTTP servers on unix sockets in a temp dir.
import t from 'tap'
import { join } from 'node:path'
import type { ServerResponse } from 'node:http'
import { LibnetworkError } from '@libnetwork/types'
import { pluginServer } from '@libnetwork/plugin-server'
import { PluginClient } from '../src/index.js'
import { clientOf, rawPlugin, recordingLogger, servePlugin, tempDir } from './helpers.js'

const noop = {
  createNetwork: () => {},
  deleteNetwork: () => {},
  createEndpoint: () => {},
  deleteEndpoint: () => {},
  join: () => ({}),
  leave: () => {},
}

async function failure(p: Promise<unknown>): Promise<LibnetworkError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  if (!LibnetworkError.isInstance(err))
    throw new Error(`expected a typed error, got ${String(err)}`)
  return err
}

t.test('activation handshake and a call', async (t) => {
  const dir = tempDir(t)
  await servePlugin(t, dir, 'p', { network: noop })
  const c = clientOf(t, dir, 'p')
  t.same(await c.activate(), ['NetworkDriver'])
  t.same(await c.call('NetworkDriver.GetCapabilities', null), { Scope: 'local' })
})

t.test('the request: POST, content type, JSON body', async (t) => {
  const sock = join(tempDir(t), 'raw.sock')
  const seen: Array<{
    method?: string
    url?: string
    type?: string
    accept?: string
    body: string
  }> = []
  await rawPlugin(t, sock, (req, res, body) => {
    seen.push({
      method: req.method,
      url: req.url,
      type: req.headers['content-type'],
      accept: req.headers.accept,
      body,
    })
    res.end('{}')
  })
  const c = new PluginClient({ name: 'raw', protocol: 'unix', socketPath: sock, source: sock })
  t.teardown(() => c.close())
  await c.call('NetworkDriver.Leave', { NetworkID: 'n', EndpointID: 'e' })
  t.same(seen, [
    {
      method: 'POST',
      url: '/NetworkDriver.Leave',
      type: 'application/vnd.docker.plugins.v1+json',
      accept: 'application/vnd.docker.plugins.v1+json',
      body: '{"NetworkID":"n","EndpointID":"e"}',
    },
  ])
})

t.test('answers that are errors', async (t) => {
  const sock = join(tempDir(t), 'raw.sock')
  let hangups = 0
  const answers: Record<string, (res: ServerResponse) => void> = {
    '/errIn200': (res) => res.end('{"Err":"no such network"}'),
    '/malformed': (res) => res.end('{"Implements": ['),
    '/array': (res) => res.end('[1,2]'),
    '/teapot': (res) => {
      res.statusCode = 418
      res.end('short and stout')
    },
    '/missing': (res) => {
      res.statusCode = 404
      res.end('404 page not found')
    },
    '/busy': (res) => {
      res.statusCode = 503
      res.end('{"Err":"try later"}')
    },
    '/typed': (res) => {
      res.statusCode = 500
      res.setHeader('x-libnetwork-error-category', 'conflict')
      res.setHeader('x-libnetwork-error-code', 'address-in-use')
      res.end('{"Err":"10.0.0.2 is in use"}')
    },
    '/hangup': (res) => {
      hangups++
      res.socket?.destroy()
    },
    '/empty': (res) => res.end(''),
  }
  await rawPlugin(t, sock, (req, res) => answers[req.url ?? '']!(res))
  const c = new PluginClient(
    { name: 'raw', protocol: 'unix', socketPath: sock, source: sock },
    { retryFor: 0 },
  )
  t.teardown(() => c.close())
  const call = (m: string) => failure(c.call(m.slice(1), {}))

  let e = await call('/errIn200')
  t.match(e, { category: 'internal', code: 'plugin-error', message: /no such network/ })
  t.match(e.details, { plugin: 'raw', method: 'errIn200', pluginMessage: 'no such network' })
  e = await call('/malformed')
  t.match(e, { category: 'internal', code: 'plugin-bad-response', message: /malformed JSON/ })
  e = await call('/array')
  t.match(e, { code: 'plugin-bad-response' })
  e = await call('/teapot')
  t.match(e, { category: 'internal', code: 'plugin-error', message: /short and stout/ })
  t.equal(e.details.status, 418)
  e = await call('/missing')
  t.match(e, { category: 'not-found', code: 'plugin-not-supported' })
  e = await call('/busy')
  t.match(e, { category: 'unavailable', code: 'plugin-error', message: /try later/ })
  e = await call('/typed')
  t.match(e, { name: 'ConflictError', category: 'conflict', code: 'address-in-use' })
  e = await call('/hangup')
  t.match(e, { category: 'unavailable', code: 'plugin-unavailable' })
  t.equal(hangups, 1, 'a call cut mid-way (on a kept-alive connection) is not sent again')
  t.same(await c.call('empty', null), {}, 'an empty 200 body is an empty answer')
})

t.test('a slow plugin: timeout error; the client works again after', async (t) => {
  const sock = join(tempDir(t), 'slow.sock')
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))
  await rawPlugin(t, sock, (req, res) => {
    if (req.url === '/slow') void held.then(() => res.end('{}'))
    else res.end('{"ok":true}')
  })
  t.teardown(() => release())
  const c = new PluginClient(
    { name: 'slow', protocol: 'unix', socketPath: sock, source: sock },
    { timeout: 100 },
  )
  t.teardown(() => c.close())
  const e = await failure(c.call('slow', {}))
  t.match(e, { name: 'TimeoutError', category: 'timeout', code: 'plugin-timeout' })
  t.same(await c.call('fast', {}), { ok: true })
})

t.test('no plugin there: unavailable after the retry window', async (t) => {
  const dir = tempDir(t)
  const warnings: string[] = []
  const c = clientOf(t, dir, 'absent', {
    retryFor: 50,
    logger: recordingLogger((m) => warnings.push(m)),
  })
  const e = await failure(c.activate())
  t.match(e, { category: 'unavailable', code: 'plugin-unavailable', message: /cannot be reached/ })
  t.equal(e.details.errno, 'ENOENT')
  t.ok(warnings.length >= 1, 'retried before giving up')
})

t.test('a plugin that starts late is retried until it answers', async (t) => {
  const dir = tempDir(t)
  const server = pluginServer({ network: noop })
  t.teardown(() => server.close())
  let starting: Promise<void> | undefined
  const logger = recordingLogger(() => {
    // First failed attempt: now start the plugin.
    starting ??= server.listen({ socketPath: join(dir, 'late.sock') })
  })
  const c = clientOf(t, dir, 'late', { logger })
  t.same(await c.activate(), ['NetworkDriver'])
  t.ok(logger.warnings.length >= 1, 'at least one retry happened')
  await starting
})

t.test('a plugin restarted between calls is used again', async (t) => {
  const dir = tempDir(t)
  const first = await servePlugin(t, dir, 'r', { network: noop })
  const c = clientOf(t, dir, 'r')
  t.same(await c.activate(), ['NetworkDriver'])
  await first.close()
  const e = await failure(
    new PluginClient(c.address, { retryFor: 0 }).call('NetworkDriver.GetCapabilities', null),
  )
  t.equal(e.code, 'plugin-unavailable', 'down while stopped')
  await servePlugin(t, dir, 'r', {
    network: { ...noop, getCapabilities: () => ({ Scope: 'global' }) },
  })
  t.same(await c.call('NetworkDriver.GetCapabilities', null), { Scope: 'global' })
})

t.test('abort signal ends a call', async (t) => {
  const sock = join(tempDir(t), 'hold.sock')
  let entered!: () => void
  const inside = new Promise<void>((r) => (entered = r))
  await rawPlugin(t, sock, () => entered())
  const c = new PluginClient({ name: 'hold', protocol: 'unix', socketPath: sock, source: sock })
  t.teardown(() => c.close())
  const ac = new AbortController()
  const p = c.call('x', {}, { signal: ac.signal })
  await inside
  ac.abort(new Error('caller gave up'))
  await t.rejects(p, { message: 'caller gave up' })
})
