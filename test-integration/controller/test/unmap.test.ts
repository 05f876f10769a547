// Leaving an endpoint with published ports: the bridge driver removes the port's rules, proxy
// listener and host port in the background. Real kernel, each test in its own host namespace.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { IPNet } from '@libnetwork/types'
import { fileKV } from './file-kv.js'
import { runKilledChild } from './kill-child.js'
import { hostEnv, kernelState, sh, startController } from './helpers.js'

const listening = async (ns: string) =>
  (await sh(['ip', 'netns', 'exec', ns, 'ss', '-Hltn']))
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => l.split(/\s+/)[3])
    .sort()

t.test('leave, then stop: no rule, listener or port of the left endpoint', async (t) => {
  const env = await hostEnv(t)
  const c = await startController(env)
  const net = await c.createNetwork({
    name: 'web',
    driver: 'bridge',
    ipam: { config: [{ subnet: IPNet.parse('172.31.25.0/24') }] },
  })
  const before = (await kernelState(env.ns)).iptables
  const bindings = [{ protocol: 'tcp' as const, port: 80, hostPort: 8087 }]
  const ep = await c.createEndpoint(net.id, { name: 'a', portBindings: bindings })
  const sb = await c.createSandbox({ containerId: 'a' })
  await c.join(ep.id, sb.id)
  t.same(await listening(env.ns), ['0.0.0.0:8087'])
  await c.leave(ep.id, sb.id)
  t.same(c.endpoint(ep.id).boundPorts, [], 'no bound ports once leave returns')
  // a second endpoint publishes the same host port at once: it waits for the removal
  const ep2 = await c.createEndpoint(net.id, { name: 'b', portBindings: bindings })
  const sb2 = await c.createSandbox({ containerId: 'b' })
  await c.join(ep2.id, sb2.id)
  t.equal(c.endpoint(ep2.id).boundPorts[0]!.hostPort, 8087, 'the same host port, no conflict')
  const rules = (await kernelState(env.ns)).iptables
  t.notMatch(rules, `${c.endpoint(ep.id).address!.ip.toString()}:80`, 'no DNAT to the left one')
  await c.leave(ep2.id, sb2.id)
  await c.deleteEndpoint(ep.id)
  await c.deleteEndpoint(ep2.id)
  await c.stop() // finishes the drivers' background work
  t.equal((await kernelState(env.ns)).iptables, before, 'iptables as before the endpoints')
  t.same(await listening(env.ns), [], 'no proxy listener left')
})

const CHILD = fileURLToPath(new URL('./leave-kill-child.ts', import.meta.url))

t.test('kill -9 right after a leave: the restart removes the port rules', async (t) => {
  const env = await hostEnv(t)
  const { code, signal, out, file } = await runKilledChild(t, env, CHILD)
  t.same([code, signal], [null, 'SIGKILL'], 'killed right after the leave returned')
  const m = /^joined (\S+) (\S+)\nleft\n$/.exec(out)
  t.ok(m, `the child joined and left: ${JSON.stringify(out)}`)
  const pending = (await kernelState(env.ns)).iptables.includes('--dport 8089')
  t.comment(`the DNAT rule was ${pending ? 'still there (removal pending)' : 'already gone'}`)
  for (let i = 0; i < 50 && (await listening(env.ns)).length > 0; i++)
    await new Promise((r) => setTimeout(r, 100))
  t.same(await listening(env.ns), [], 'the proxy died with the daemon')

  const kv = fileKV(file)
  t.teardown(() => kv.close())
  const c = await startController(env, kv)
  const ep = c.endpoint(m![1]!)
  t.equal(ep.sandboxId, undefined, 'the store says the endpoint left')
  t.same(ep.boundPorts, [])
  const rules = (await kernelState(env.ns)).iptables
  t.notMatch(rules, '--dport 8089', 'no DNAT of its host port after the restart')
  t.notMatch(rules, `${ep.address!.ip.toString()}:80`, 'no rule points at its address')
  // the host port is free: another endpoint publishes it
  const other = await c.createEndpoint(c.networks()[0]!.id, {
    name: 'again',
    portBindings: [{ protocol: 'tcp', port: 80, hostPort: 8089 }],
  })
  const sb = await c.createSandbox({ containerId: 'again' })
  await c.join(other.id, sb.id)
  t.equal(c.endpoint(other.id).boundPorts[0]!.hostPort, 8089)
  t.same(await listening(env.ns), ['0.0.0.0:8089'])
})
