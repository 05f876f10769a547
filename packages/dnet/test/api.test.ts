import t from 'tap'
import { serve } from './serve.js'
import { statSync } from 'node:fs'
import { request } from 'node:http'
import { MAX_BODY_BYTES } from '../src/index.js'
import { FakeBackend } from './fake-backend.js'

interface Reply {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: any
}

function http(
  socketPath: string,
  method: string,
  path: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath,
        method,
        path,
        headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString()
          resolve({
            status: res.statusCode!,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          })
        })
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function setup(t: { teardown(fn: () => unknown): void }) {
  const backend = new FakeBackend()
  const { socketPath, server } = await serve(t, backend)
  const call = (method: string, path: string, body?: unknown) =>
    http(socketPath, method, path, body === undefined ? undefined : JSON.stringify(body))
  return { socketPath, backend, call, server }
}

t.test('networks, endpoints and sandboxes round trip', async (t) => {
  const { call, socketPath } = await setup(t)
  t.equal(statSync(socketPath).mode & 0o777, 0o660, 'socket is 0660')
  const created = await call('POST', '/networks', {
    name: 'net1',
    driver: 'bridge',
    ipam: { config: [{ subnet: '10.9.0.0/24' }] },
  })
  t.equal(created.status, 201)
  t.equal(created.body.name, 'net1')
  t.same(created.body.ipam.config, [{ subnet: '10.9.0.0/24' }])
  const list = await call('GET', '/networks')
  t.same(
    list.body.map((n: any) => n.name),
    ['net1'],
  )
  t.equal((await call('GET', `/networks/${created.body.id}`)).body.name, 'net1', 'inspect by id')
  t.equal((await call('GET', '/networks/net1')).body.id, created.body.id, 'inspect by name')

  const ep = await call('POST', '/networks/net1/endpoints', {
    name: 'web',
    portBindings: [{ protocol: 'tcp', port: 80, hostPort: 8080 }],
  })
  t.equal(ep.status, 201)
  const sb = await call('POST', '/sandboxes', { containerId: 'c1' })
  t.equal(sb.status, 201)
  const joined = await call('POST', '/networks/net1/endpoints/web/sandboxes', { sandbox: 'c1' })
  t.equal(joined.status, 200)
  t.equal(joined.body.sandboxId, sb.body.id)
  t.equal((await call('GET', '/services')).body.length, 1)
  const busy = await call('DELETE', '/networks/net1')
  t.equal(busy.status, 409, 'network with endpoints is a conflict')
  t.equal(busy.body.error.category, 'conflict')
  t.equal((await call('DELETE', `/networks/net1/endpoints/web/sandboxes/c1`)).status, 200)
  t.equal((await call('DELETE', '/networks/net1/endpoints/web')).status, 204)
  t.equal((await call('DELETE', '/sandboxes/c1')).status, 204)
  t.equal((await call('DELETE', '/networks/net1')).status, 204)
  t.same((await call('GET', '/networks')).body, [])
})

t.test('bad input gets 4xx with a clear message and changes nothing', async (t) => {
  const { call, socketPath, backend } = await setup(t)
  const cases: [string, Promise<Reply>, number, RegExp][] = [
    ['malformed JSON', http(socketPath, 'POST', '/networks', '{"name": '), 400, /not valid JSON/],
    [
      'unknown field',
      call('POST', '/networks', { name: 'n', colour: 'red' }),
      400,
      /unknown field "colour"/,
    ],
    ['invalid name', call('POST', '/networks', { name: 'bad name;rm' }), 400, /name must match/],
    [
      'invalid subnet',
      call('POST', '/networks', { name: 'n', ipam: { config: [{ subnet: 'ten/8' }] } }),
      400,
      /subnet/,
    ],
    [
      'wrong type',
      call('POST', '/networks', { name: 'n', internal: 'yes' }),
      400,
      /internal must be boolean/,
    ],
    ['missing body', http(socketPath, 'POST', '/networks'), 400, /needs a JSON body/],
    [
      'wrong content type',
      http(socketPath, 'POST', '/networks', 'name=n', { 'content-type': 'text/plain' }),
      415,
      /application\/json/,
    ],
    [
      'oversized body',
      http(socketPath, 'POST', '/networks', Buffer.alloc(MAX_BODY_BYTES + 10, 32)),
      413,
      /larger than/,
    ],
    ['wrong method', call('PUT', '/networks'), 405, /not allowed/],
    ['unknown route', call('GET', '/nope'), 404, /no route/],
    ['unknown network', call('GET', '/networks/missing'), 404, /not found/],
  ]
  for (const [name, p, status, msg] of cases) {
    const r = await p
    t.equal(r.status, status, `${name}: status`)
    t.match(r.body?.error?.message, msg, `${name}: message`)
  }
  t.equal(backend.networks.size, 0, 'nothing was created')
  const ok = await call('GET', '/_ping')
  t.equal(ok.status, 200, 'daemon still serving')
  const m = await call('PUT', '/networks')
  t.equal(m.headers.allow, 'GET, POST')
})

t.test('the OpenAPI description is served and matches the routes', async (t) => {
  const { call } = await setup(t)
  const r = await call('GET', '/openapi.json')
  t.equal(r.status, 200)
  t.equal(r.body.openapi, '3.1.0')
  t.ok(r.body.paths['/networks'].post.requestBody, 'create network has a body schema')
  t.same(Object.keys(r.body.paths['/networks/{network}']).sort(), ['delete', 'get'])
  t.ok(r.body.components.schemas.NetworkCreate)
  const ids = new Set<string>()
  const paths: Record<string, Record<string, { operationId: string }>> = r.body.paths
  for (const ops of Object.values(paths))
    for (const op of Object.values(ops)) ids.add(op.operationId)
  t.equal(ids.size, 17, 'every operation has a distinct operationId')
  t.ok(r.body.paths['/cluster/members'].get, 'the cluster members are described')
})
