// Edges of the REST API: a client that goes away in the middle of its request is the
// client's business (logged at debug level, never as an error), and GET /version.
import t from 'tap'
import { request } from 'node:http'
import { connect } from 'node:net'
import { createLogger } from '../src/index.js'
import { FakeBackend } from './fake-backend.js'
import { serve } from './serve.js'

t.test('a client closing mid-request is logged at debug, not error', async (t) => {
  const lines: { level: string; msg: string; [k: string]: unknown }[] = []
  let seen: (() => void) | undefined
  const logger = createLogger('debug', (l) => {
    lines.push(JSON.parse(l))
    seen?.()
  })
  const { socketPath } = await serve(t, new FakeBackend(), { logger })
  // The request line and headers promise 100 bytes of body; 10 come, then the client closes.
  const logged = new Promise<void>((resolve) => {
    seen = () => {
      if (lines.some((l) => l.msg === 'request')) resolve()
    }
  })
  const sock = connect(socketPath)
  await new Promise<void>((resolve) => sock.once('connect', resolve))
  sock.write(
    'POST /networks HTTP/1.1\r\nhost: dnet\r\ncontent-type: application/json\r\n' +
      'content-length: 100\r\n\r\n{"name": "',
  )
  // Once the server has read the headers and part of the body, the client goes away.
  await new Promise((resolve) => setImmediate(resolve))
  sock.destroy()
  await logged
  t.same(
    lines.filter((l) => l.level === 'error'),
    [],
    'nothing at error level',
  )
  const req = lines.find((l) => l.msg === 'request')!
  t.equal(req.level, 'debug')
  t.equal(req.status, 499, 'logged as "client closed the request"')
  t.ok(
    lines.some((l) => l.level === 'debug' && l.msg === 'client closed the request'),
    'said at debug level',
  )
})

t.test('GET /version answers the daemon version', async (t) => {
  const { socketPath } = await serve(t, new FakeBackend(), { version: '9.8.7' })
  const body = await new Promise<string>((resolve, reject) => {
    const req = request({ socketPath, path: '/version' }, (res) => {
      let text = ''
      res.on('data', (c: Buffer) => (text += c.toString()))
      res.on('end', () => resolve(text))
    })
    req.on('error', reject)
    req.end()
  })
  t.same(JSON.parse(body), { version: '9.8.7' })
})
