// Network delete answers at once; the bridge, its rules and the pool go in the background,
// before any later network create, and after a kill -9 at the next start. Real kernel, each
// test in its own host namespace.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import type { Controller } from '@libnetwork/controller'
import { IPNet } from '@libnetwork/types'
import { fileKV } from './file-kv.js'
import { runKilledChild } from './kill-child.js'
import { hostEnv, kernelState, sh, startController } from './helpers.js'

const SUBNET = '172.31.27.0/24'

/** A network with a fixed subnet and bridge name, and a container that published a port. */
async function cycle(c: Controller, hostPort: number): Promise<string> {
  const net = await c.createNetwork({
    name: 'again',
    driver: 'bridge',
    ipam: { config: [{ subnet: IPNet.parse(SUBNET) }] },
    options: { 'com.docker.network.bridge.name': 'lnt-again' },
  })
  const ep = await c.createEndpoint(net.id, {
    name: 'web',
    portBindings: [{ protocol: 'tcp', port: 80, hostPort }],
  })
  const sb = await c.createSandbox({ containerId: `c${hostPort}` })
  await c.join(ep.id, sb.id)
  await c.leave(ep.id, sb.id)
  await c.deleteEndpoint(ep.id)
  await c.deleteSandbox(sb.id)
  await c.deleteNetwork('again')
  return net.id
}

t.test('delete, then create the same name, subnet and bridge at once', async (t) => {
  const env = await hostEnv(t)
  const c = await startController(env)
  await c.createNetwork({
    name: 'base',
    driver: 'bridge',
    ipam: { config: [{ subnet: IPNet.parse('172.31.28.0/24') }] },
  })
  const before = await kernelState(env.ns)
  const first = await cycle(c, 8092)
  t.same(
    c.networks().map((n) => n.name),
    ['base'],
    'gone from the list when the delete returns',
  )
  // the next create waits for the pending deletion: no overlap, no bridge-name conflict
  const second = await cycle(c, 8093)
  t.not(second, first)
  await c.settled()
  t.same(await kernelState(env.ns), before, 'links, addresses and iptables as before')
})

const CHILD = fileURLToPath(new URL('./netrm-kill-child.ts', import.meta.url))

t.test('kill -9 right after a network delete: the restart finishes it', async (t) => {
  const env = await hostEnv(t)
  const { code, signal, out, file } = await runKilledChild(t, env, CHILD)
  t.same([code, signal], [null, 'SIGKILL'], 'killed right after the delete returned')
  const m = /^deleted ([0-9a-f]{64})\n$/.exec(out)
  t.ok(m, `the child deleted the network: ${JSON.stringify(out)}`)
  const left = (await kernelState(env.ns)).links.includes('lnt-doomed')
  t.comment(`the bridge was ${left ? 'still there (deletion pending)' : 'already gone'}`)

  const kv = fileKV(file)
  t.teardown(() => kv.close())
  const c = await startController(env, kv)
  t.same(c.restoreSummary.repaired, ['network doomed: deletion finished'])
  t.same(c.networks(), [], 'not listed')
  t.same(
    (await kv.list('')).map((e) => e.key).filter((k) => k.includes('/network/')),
    [],
    'no network record',
  )
  const st = await kernelState(env.ns)
  t.same(st.links, ['lo'], 'no bridge, no veth')
  t.notMatch(st.iptables, '172.31.26.', 'no rule of its subnet')
  t.notMatch(st.iptables, 'lnt-doomed', 'no rule of its bridge')
  t.notMatch(st.iptables, '--dport 8091', 'no rule of its port')
  // name, subnet and bridge name are free again
  await c.createNetwork({
    name: 'doomed',
    driver: 'bridge',
    ipam: { config: [{ subnet: IPNet.parse('172.31.26.0/24') }] },
    options: { 'com.docker.network.bridge.name': 'lnt-doomed' },
  })
  t.match(await sh(['ip', '-n', env.ns, 'link', 'show', 'lnt-doomed']), 'lnt-doomed')
})
