// `GET /cluster/members` and `dnet cluster ls`: the cluster agent's members as the REST API and
// the CLI show them (a real agent on loopback behind the ControllerBackend's member list).
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Controller } from '@libnetwork/controller'
import { routes } from '../src/api/routes.js'
import { clusterAgent, memberView } from '../src/cluster-wiring.js'
import { ControllerBackend } from '../src/controller-backend.js'
import { ApiServer, createLogger, runCli } from '../src/index.js'
import { FakeBackend } from './fake-backend.js'

const logger = createLogger('error', () => {})

t.test("GET /cluster/members lists the agent's members, none without a cluster", async (t) => {
  const a = clusterAgent({ bindAddress: '127.0.0.1', bindPort: 0, join: [] }, logger)
  await a.start()
  t.teardown(() => a.stop())
  const b = clusterAgent({ bindAddress: '127.0.0.1', bindPort: 0, join: [a.address] }, logger)
  await b.start()
  t.teardown(() => b.stop())
  // listClusterMembers touches no controller.
  const backend = new ControllerBackend({} as Controller, undefined, () =>
    a.members().map(memberView),
  )
  const route = routes.find((r) => r.method === 'GET' && r.path === '/cluster/members')!
  t.ok(route, 'the route exists')
  const end = Date.now() + 20_000
  let list = (await route.handle(backend, {}, undefined)) as Array<Record<string, unknown>>
  while (list.length < 2 && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20))
    list = (await route.handle(backend, {}, undefined)) as Array<Record<string, unknown>>
  }
  t.equal(list.length, 2, 'both hosts')
  const self = list.find((m) => m.self === true)
  t.match(self, { name: a.nodeName, address: a.address, state: 'alive' })
  t.match(
    list.find((m) => m.self === false),
    { name: b.nodeName, address: b.address, state: 'alive' },
  )
  t.same(await new ControllerBackend({} as Controller).listClusterMembers(), [], 'no cluster')
  t.same(await route.handle({} as never, {}, undefined), [], 'a backend without a cluster')
})

t.test('dnet cluster ls prints the members', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-dnet-'))
  const socketPath = join(dir, 'api.sock')
  const backend = Object.assign(new FakeBackend(), {
    listClusterMembers: async () => [
      { name: 'node-a', address: '10.0.0.1:7946', state: 'alive' as const, self: true },
      { name: 'node-b', address: '[fd00::2]:7946', state: 'dead' as const, self: false },
    ],
  })
  const server = new ApiServer({ backend, logger, version: 'test', socketPath })
  await server.start()
  t.teardown(async () => {
    await server.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  const run = async (...argv: string[]) => {
    let out = ''
    const code = await runCli(
      ['-H', `unix://${socketPath}`, ...argv],
      { out: (s) => (out += s) },
      () => {},
      {},
    )
    return { code, out }
  }
  const ls = await run('cluster', 'ls')
  t.equal(ls.code, 0)
  t.match(ls.out, /^NAME\s+ADDRESS\s+STATE$/m)
  t.match(ls.out, /^node-a \(this host\)\s+10\.0\.0\.1:7946\s+alive$/m)
  t.match(ls.out, /^node-b\s+\[fd00::2\]:7946\s+dead$/m)
  const q = await run('cluster', 'ls', '-q')
  t.same(q.out.trim().split('\n'), ['node-a', 'node-b'])
  const json = await run('cluster', 'ls', '--json')
  t.match(JSON.parse(json.out), [{ name: 'node-a', self: true }, { name: 'node-b' }])
})
