// Published ports of the bridge driver through @libnetwork/portmapper, for real: with the
// userland proxy (the default) and without it (kernel DNAT for 127.0.0.1 too), the network's
// host binding address, conflicts, and nothing left behind.
import t, { type Test } from 'tap'
import { memoryStore, type KVStore } from '@libnetwork/datastore'
import type { Controller } from '@libnetwork/controller'
import type { BridgeDriverConfig } from '@libnetwork/driver-bridge'
import { IPNet, LibnetworkError } from '@libnetwork/types'
import {
  get,
  hostEnv,
  kernelState,
  outside,
  serve,
  sh,
  startController,
  type Env,
} from './helpers.js'

const subnet = (s: string) => ({ config: [{ subnet: IPNet.parse(s) }] })

/** A controller whose bridge driver gets `config`. */
const start = (env: Env, config: BridgeDriverConfig, store: KVStore = memoryStore()) =>
  startController(env, store, undefined, config)

/** TCP ports listening in the host namespace. */
async function listening(ns: string): Promise<number[]> {
  const out = await sh(['ip', 'netns', 'exec', ns, 'ss', '-Hltn'])
  return out
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => Number(/:(\d+)\s/.exec(l.split(/\s+/)[3] + ' ')?.[1]))
    .sort((a, b) => a - b)
}

const sysctl = async (ns: string, key: string) =>
  (await sh(['ip', 'netns', 'exec', ns, 'sysctl', '-n', key])).trim()

async function publish(t: Test, c: Controller, net: string, name: string, hostPort?: number) {
  const ep = await c.createEndpoint(net, {
    name,
    portBindings: [{ protocol: 'tcp', port: 80, ...(hostPort ? { hostPort } : {}) }],
  })
  const sb = await c.createSandbox({ containerId: name })
  await c.join(ep.id, sb.id)
  await serve(t, sb.key!, 80, `${name} says hi`)
  return { ep: c.endpoint(ep.id), sb }
}

t.test('with the userland proxy (default): every path, then nothing left', async (t) => {
  const env = await hostEnv(t)
  const out = await outside(env)
  const c = await start(env, {})
  const net = await c.createNetwork({ name: 'p', driver: 'bridge', ipam: subnet('172.31.90.0/24') })
  const clean = await kernelState(env.ns)
  const web = await publish(t, c, net.id, 'web', 8080)
  const br = `br-${net.id.slice(0, 12)}`
  t.equal(await sysctl(env.ns, `net.ipv4.conf.${br}.route_localnet`), '0', 'no route_localnet')
  t.same(await listening(env.ns), [8080], 'the proxy listens on the host port')
  t.equal(await get(out.ns, out.hostIP, 8080), 'web says hi', 'outside: kernel DNAT')
  t.equal(await get(env.ns, out.hostIP, 8080), 'web says hi', 'host to its own address')
  t.equal(await get(env.ns, '127.0.0.1', 8080), 'web says hi', 'host loopback: the proxy')
  t.equal(await get(web.sb.key!, out.hostIP, 8080), 'web says hi', 'the container, via the proxy')
  const st = await kernelState(env.ns)
  t.match(st.iptables, `! -i ${br} -p tcp -m tcp --dport 8080 -j DNAT`, 'DNAT skips the bridge')
  t.match(st.iptables, '! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j LN-DNAT', 'and loopback')

  // another container asking for a port something else listens on: typed error, no change
  await serve(t, env.ns, 8090, 'squatter')
  const before = await kernelState(env.ns)
  const ep = await c.createEndpoint(net.id, {
    name: 'late',
    portBindings: [
      { protocol: 'tcp', port: 80 },
      { protocol: 'tcp', port: 81, hostPort: 8090 },
    ],
  })
  const sb = await c.createSandbox({ containerId: 'late' })
  const err = await c.join(ep.id, sb.id).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(LibnetworkError.isInstance(err), 'port in use: typed error')
  t.equal((err as LibnetworkError).category, 'conflict', (err as Error).message)
  t.same(c.endpoint(ep.id).boundPorts, [], 'nothing bound')
  t.equal(c.endpoint(ep.id).sandboxId, undefined, 'not joined')
  t.same((await kernelState(env.ns)).iptables, before.iptables, 'rules unchanged')
  t.same(await listening(env.ns), [8080, 8090], 'no listener left by the failed join')
  // a bad range is refused at the edge, before anything is made
  const bad = await c
    .createEndpoint(net.id, {
      name: 'ranged',
      portBindings: [{ protocol: 'tcp', port: 80, hostPort: 9000, hostPortEnd: 8990 }],
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    )
  t.equal((bad as LibnetworkError).category, 'bad-request', `bad range: ${(bad as Error).message}`)
  t.same((await kernelState(env.ns)).iptables, before.iptables, 'rules unchanged')

  // churn with published ports: nothing leaks
  for (let i = 0; i < 20; i++) {
    const e = await c.createEndpoint(net.id, {
      name: `churn${i}`,
      portBindings: [
        { protocol: 'tcp', port: 80 },
        { protocol: 'udp', port: 53 },
      ],
    })
    await c.join(e.id, sb.id)
    t.equal(c.endpoint(e.id).boundPorts.length, 2)
    await c.leave(e.id, sb.id)
    await c.deleteEndpoint(e.id)
  }
  await c.deleteEndpoint(ep.id)
  await c.deleteSandbox(sb.id)
  t.same(await listening(env.ns), [8080, 8090], 'churn leaves no proxy listener')
  await c.leave(web.ep.id, web.sb.id)
  t.equal(await get(env.ns, '127.0.0.1', 8080), undefined, 'loopback gone after leave')
  t.equal(await get(out.ns, out.hostIP, 8080), undefined, 'outside gone after leave')
  t.same(await listening(env.ns), [8090], 'only the squatter listens')
  await c.deleteEndpoint(web.ep.id)
  await c.deleteSandbox(web.sb.id)
  t.same((await kernelState(env.ns)).iptables, clean.iptables, 'iptables as before the first join')
})

t.test('without the proxy: kernel DNAT for loopback and hairpin', async (t) => {
  const env = await hostEnv(t)
  const out = await outside(env)
  const c = await start(env, { userlandProxy: false })
  const net = await c.createNetwork({ name: 'k', driver: 'bridge', ipam: subnet('172.31.91.0/24') })
  const br = `br-${net.id.slice(0, 12)}`
  const web = await publish(t, c, net.id, 'web')
  const port = web.ep.boundPorts[0]!.hostPort
  t.ok(port >= 1024, `ephemeral host port ${port}`)
  t.equal(await sysctl(env.ns, `net.ipv4.conf.${br}.route_localnet`), '1', 'route_localnet on')
  t.same(await listening(env.ns), [], 'no process listens')
  t.equal(await get(out.ns, out.hostIP, port), 'web says hi', 'outside')
  t.equal(await get(env.ns, '127.0.0.1', port), 'web says hi', 'host loopback: kernel DNAT')
  t.equal(await get(web.sb.key!, out.hostIP, port), 'web says hi', 'hairpin NAT')
  await c.leave(web.ep.id, web.sb.id)
  t.equal(await get(env.ns, '127.0.0.1', port), undefined, 'gone after leave')
  t.notMatch((await kernelState(env.ns)).iptables, '-j DNAT', 'no DNAT rule left')
})

t.test('host_binding_ipv4 and a restart keep the host address and port', async (t) => {
  const env = await hostEnv(t)
  const out = await outside(env)
  await sh(['ip', '-n', env.ns, 'addr', 'add', '10.99.0.3/24', 'dev', 'uplink'])
  const store = memoryStore()
  const c1 = await start(env, {}, store)
  const net = await c1.createNetwork({
    name: 'h',
    driver: 'bridge',
    ipam: subnet('172.31.92.0/24'),
    options: { 'com.docker.network.bridge.host_binding_ipv4': '10.99.0.3' },
  })
  const web = await publish(t, c1, net.id, 'web')
  const p = web.ep.boundPorts[0]!
  t.equal(p.hostIP.toString(), '10.99.0.3', 'bound to the network host address')
  t.equal(await get(out.ns, '10.99.0.3', p.hostPort), 'web says hi', 'reachable there')
  t.equal(await get(out.ns, out.hostIP, p.hostPort), undefined, 'not on the other address')
  await c1.stop()
  t.same(await listening(env.ns), [], 'the proxy stopped with the controller')
  const c2 = await start(env, {}, store)
  t.same(c2.endpoint(web.ep.id).boundPorts, web.ep.boundPorts, 'same binding after restart')
  t.equal(await get(out.ns, '10.99.0.3', p.hostPort), 'web says hi', 'outside again')
  t.same(await listening(env.ns), [p.hostPort], 'the proxy serves it again')
  const bad = await c2
    .createNetwork({
      name: 'bad',
      driver: 'bridge',
      options: { 'com.docker.network.bridge.host_binding_ipv4': 'fd00::1' },
    })
    .then(
      () => undefined,
      (e: unknown) => e,
    )
  t.equal((bad as LibnetworkError).category, 'bad-request', 'an IPv6 host_binding_ipv4 is refused')
})
