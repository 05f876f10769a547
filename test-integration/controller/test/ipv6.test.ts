// IPv6 bridge networks with ip6tables, for real: containers talk over IPv6, reach the outside
// through masquerade, publish ports on `::`; internal and ICC-off networks are closed over
// IPv6 too, networks are isolated, and deleting them takes their ip6tables rules away.
import t from 'tap'
import { IPNet } from '@libnetwork/types'
import { memoryStore } from '@libnetwork/datastore'
import type { Controller, NetworkInfo } from '@libnetwork/controller'
import { get, hostEnv, outside, serve, sh, startController } from './helpers.js'

const ip6tables = async (ns: string) =>
  (await sh(['ip', 'netns', 'exec', ns, 'ip6tables-save']))
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/, '[0:0]'))
    .join('\n')

const dual = (v4: string, v6: string) => ({
  config: [{ subnet: IPNet.parse(v4) }, { subnet: IPNet.parse(v6) }],
})

async function container(c: Controller, net: NetworkInfo, name: string, ports = false) {
  const ep = await c.createEndpoint(net.id, {
    name,
    ...(ports ? { portBindings: [{ protocol: 'tcp' as const, port: 80 }] } : {}),
  })
  const sb = await c.createSandbox({ containerId: name })
  await c.join(ep.id, sb.id)
  return { ep: c.endpoint(ep.id), sb, v6: c.endpoint(ep.id).addressIPv6!.ip.toString() }
}

t.test('dual-stack bridge networks with ip6tables', async (t) => {
  const env = await hostEnv(t)
  const out = await outside(env)
  // IPv6 on the uplink too: host fd99::1, outside fd99::2 (no route back to container subnets,
  // so a container reaching it proves masquerade)
  await sh(['ip', '-n', env.ns, 'addr', 'add', 'fd99::1/64', 'dev', 'uplink', 'nodad'])
  await sh(['ip', '-n', out.ns, 'addr', 'add', 'fd99::2/64', 'dev', 'eth0', 'nodad'])
  await serve(t, out.ns, 9000, 'internet')
  const c = await startController(env)
  const pristine = await ip6tables(env.ns)

  const net = await c.createNetwork({
    name: 'd6',
    driver: 'bridge',
    enableIPv6: true,
    ipam: dual('172.31.94.0/24', 'fd00:94::/64'),
  })
  const br = `br-${net.id.slice(0, 12)}`
  const rules = await ip6tables(env.ns)
  t.match(rules, `-A LN-NETWORKS -i ${br} -o ${br} -j ACCEPT`, 'ICC rule in ip6tables')
  t.match(rules, `-A LN-POSTROUTING -s fd00:94::/64 ! -o ${br} -j MASQUERADE`, 'IPv6 masquerade')
  t.match(rules, `-A LN-ISOLATION-2 -o ${br} -j DROP`, 'isolation in ip6tables')

  const a = await container(c, net, 'a', true)
  const b = await container(c, net, 'b')
  await serve(t, a.sb.key!, 80, 'a over v6')
  t.equal(await get(b.sb.key!, a.v6, 80), 'a over v6', 'containers talk over IPv6')
  t.equal(await get(b.sb.key!, 'fd99::2', 9000), 'internet', 'outside over IPv6 (masquerade)')

  const bound = a.ep.boundPorts.map((p) => `${p.hostIP.toString()}:${p.hostPort}`)
  const port = a.ep.boundPorts[0]!.hostPort
  t.same(bound, [`0.0.0.0:${port}`, `:::${port}`], 'published on 0.0.0.0 and :: alike')
  t.equal(await get(out.ns, 'fd99::1', port), 'a over v6', 'published port from outside, IPv6')
  t.equal(await get(out.ns, out.hostIP, port), 'a over v6', 'and IPv4')
  t.equal(await get(env.ns, '::1', port), 'a over v6', 'host ::1 through the proxy')

  // internal: containers talk, nothing goes out, even when the outside routes back to it
  const internal = await c.createNetwork({
    name: 'i6',
    driver: 'bridge',
    enableIPv6: true,
    internal: true,
    ipam: dual('172.31.95.0/24', 'fd00:95::/64'),
  })
  await sh(['ip', '-n', out.ns, '-6', 'route', 'add', 'fd00:95::/64', 'via', 'fd99::1'])
  const i1 = await container(c, internal, 'i1')
  const i2 = await container(c, internal, 'i2')
  await serve(t, i1.sb.key!, 80, 'i1 over v6')
  t.equal(await get(i2.sb.key!, i1.v6, 80), 'i1 over v6', 'internal: containers talk over v6')
  t.equal(await get(i2.sb.key!, 'fd99::2', 9000), undefined, 'internal: no way out over v6')
  t.equal(await get(out.ns, i1.v6, 80), undefined, 'internal: no way in over v6')
  t.equal(await get(a.sb.key!, i1.v6, 80), undefined, 'networks isolated over v6 (d6 → i6)')
  t.equal(await get(i2.sb.key!, a.v6, 80), undefined, 'networks isolated over v6 (i6 → d6)')

  // ICC off holds for IPv6 as well
  const noicc = await c.createNetwork({
    name: 'n6',
    driver: 'bridge',
    enableIPv6: true,
    ipam: dual('172.31.96.0/24', 'fd00:96::/64'),
    options: { 'com.docker.network.bridge.enable_icc': 'false' },
  })
  const n1 = await container(c, noicc, 'n1')
  const n2 = await container(c, noicc, 'n2')
  await serve(t, n1.sb.key!, 80, 'n1')
  t.equal(await get(n2.sb.key!, n1.v6, 80), undefined, 'ICC off: no container-to-container v6')
  t.equal(await get(n2.sb.key!, 'fd99::2', 9000), 'internet', 'ICC off: outside still reachable')

  // everything away: ip6tables as before the first network
  for (const x of [a, b, i1, i2, n1, n2]) {
    await c.leave(x.ep.id, x.sb.id)
    await c.deleteEndpoint(x.ep.id)
    await c.deleteSandbox(x.sb.id)
  }
  t.equal(await get(out.ns, 'fd99::1', port), undefined, 'unpublished after leave')
  for (const n of [net, internal, noicc]) await c.deleteNetwork(n.id)
  await c.settled() // the bridges and their rules go in the background
  t.equal(await ip6tables(env.ns), pristine, 'ip6tables as before the networks')
})

t.test('ports on 0.0.0.0 and :: come back on the same host port after a restart', async (t) => {
  const env = await hostEnv(t)
  const out = await outside(env)
  await sh(['ip', '-n', env.ns, 'addr', 'add', 'fd99::1/64', 'dev', 'uplink', 'nodad'])
  await sh(['ip', '-n', out.ns, 'addr', 'add', 'fd99::2/64', 'dev', 'eth0', 'nodad'])
  const store = memoryStore()
  const c1 = await startController(env, store)
  const net = await c1.createNetwork({
    name: 'r6',
    driver: 'bridge',
    enableIPv6: true,
    ipam: dual('172.31.97.0/24', 'fd00:97::/64'),
  })
  const a = await container(c1, net, 'a', true)
  await serve(t, a.sb.key!, 80, 'kept')
  const port = a.ep.boundPorts[0]!.hostPort
  t.equal(a.ep.boundPorts.length, 2)
  await c1.stop()
  // a firewall reload of IPv6 while the controller is down
  await sh(['ip', 'netns', 'exec', env.ns, 'ip6tables', '-t', 'nat', '-F', 'LN-DNAT'])
  t.equal(await get(out.ns, 'fd99::1', port), undefined, 'IPv6 port lost with the rules')
  const c2 = await startController(env, store)
  t.ok(c2.restoreSummary.drivers.bridge!.recreated.includes('iptables rules'), 'noticed')
  t.same(c2.endpoint(a.ep.id).boundPorts, a.ep.boundPorts, 'the same bindings')
  t.equal(await get(out.ns, 'fd99::1', port), 'kept', 'IPv6 from outside again')
  t.equal(await get(out.ns, out.hostIP, port), 'kept', 'IPv4 from outside')
  t.equal(await get(env.ns, '::1', port), 'kept', '::1 through the restarted proxy')
  t.equal(await get(env.ns, '127.0.0.1', port), 'kept', '127.0.0.1 too')
})
