import t from 'tap'
import { IPNet } from '@libnetwork/types'
import { get, hostEnv, outside, serve, startController } from './helpers.js'

const subnet = (s: string) => ({ config: [{ subnet: IPNet.parse(s) }] })

t.test('a published port reaches a container server from the host and from outside', async (t) => {
  const env = await hostEnv(t)
  const out = await outside(env)
  const c = await startController(env)
  const net = await c.createNetwork({
    name: 'pub',
    driver: 'bridge',
    ipam: subnet('172.31.1.0/24'),
  })
  const ep = await c.createEndpoint(net.id, {
    name: 'web',
    exposedPorts: [{ protocol: 'tcp', port: 80 }],
    portBindings: [
      { protocol: 'tcp', port: 80, hostPort: 8080 },
      { protocol: 'tcp', port: 80 },
    ],
  })
  const sb = await c.createSandbox({ containerId: 'web' })
  await c.join(ep.id, sb.id)
  const bound = c.endpoint(ep.id).boundPorts
  t.equal(bound.length, 2)
  t.equal(bound[0]!.hostPort, 8080)
  t.ok(bound[1]!.hostPort >= 1024, `ephemeral host port ${bound[1]!.hostPort}`)
  await serve(t, sb.key!, 80, 'web says hi')
  t.equal(await get(out.ns, out.hostIP, 8080), 'web says hi', 'from the outside namespace')
  t.equal(
    await get(out.ns, out.hostIP, bound[1]!.hostPort),
    'web says hi',
    'ephemeral port from outside',
  )
  t.equal(await get(env.ns, out.hostIP, 8080), 'web says hi', 'from the host to its own address')
  t.equal(await get(env.ns, '127.0.0.1', 8080), 'web says hi', 'from the host over loopback')
  t.equal(
    await get(sb.key!, out.hostIP, 8080),
    'web says hi',
    'hairpin: the container through its own port',
  )
  await c.leave(ep.id, sb.id)
  t.equal(await get(out.ns, out.hostIP, 8080), undefined, 'unpublished after leave')
})

t.test('internal networks have no outside access; ICC off separates containers', async (t) => {
  const env = await hostEnv(t)
  const out = await outside(env)
  await serve(t, out.ns, 9000, 'internet')
  const c = await startController(env)
  const internal = await c.createNetwork({
    name: 'int',
    driver: 'bridge',
    internal: true,
    ipam: subnet('172.31.2.0/24'),
  })
  const noicc = await c.createNetwork({
    name: 'noicc',
    driver: 'bridge',
    ipam: subnet('172.31.3.0/24'),
    options: { 'com.docker.network.bridge.enable_icc': 'false' },
  })
  const join = async (net: string, name: string) => {
    const ep = await c.createEndpoint(net, { name })
    const sb = await c.createSandbox({ containerId: name })
    await c.join(ep.id, sb.id)
    return { ep: c.endpoint(ep.id), sb }
  }
  const i1 = await join(internal.id, 'i1')
  const i2 = await join(internal.id, 'i2')
  const n1 = await join(noicc.id, 'n1')
  const n2 = await join(noicc.id, 'n2')
  await serve(t, i1.sb.key!, 80, 'i1')
  await serve(t, n1.sb.key!, 80, 'n1')
  t.equal(
    await get(i2.sb.key!, i1.ep.address!.ip.toString(), 80),
    'i1',
    'internal: containers reach each other',
  )
  t.equal(await get(i2.sb.key!, out.ip, 9000), undefined, 'internal: no outside access')
  t.equal(
    await get(n2.sb.key!, n1.ep.address!.ip.toString(), 80),
    undefined,
    'ICC off: no container-to-container',
  )
  t.equal(await get(n2.sb.key!, out.ip, 9000), 'internet', 'ICC off: outside still reachable')
})

t.test('two networks are isolated; a container on both reaches both', async (t) => {
  const env = await hostEnv(t)
  const c = await startController(env)
  const a = await c.createNetwork({ name: 'a', driver: 'bridge', ipam: subnet('172.31.4.0/24') })
  const b = await c.createNetwork({ name: 'b', driver: 'bridge', ipam: subnet('172.31.5.0/24') })
  const mk = async (net: string, name: string) => {
    const ep = await c.createEndpoint(net, { name })
    return c.endpoint(ep.id)
  }
  const ea = await mk(a.id, 'ca')
  const eb = await mk(b.id, 'cb')
  const sa = await c.createSandbox({ containerId: 'ca' })
  const sb = await c.createSandbox({ containerId: 'cb' })
  await c.join(ea.id, sa.id)
  await c.join(eb.id, sb.id)
  await serve(t, sa.key!, 80, 'on a')
  await serve(t, sb.key!, 80, 'on b')
  t.equal(await get(sa.key!, eb.address!.ip.toString(), 80), undefined, 'a cannot reach b')
  t.equal(await get(sb.key!, ea.address!.ip.toString(), 80), undefined, 'b cannot reach a')
  const both = await c.createSandbox({ containerId: 'both' })
  const x1 = await mk(a.id, 'both-a')
  const x2 = await mk(b.id, 'both-b')
  await c.join(x1.id, both.id)
  await c.join(x2.id, both.id, { gwPriority: 1 })
  const info = c.sandbox(both.id)
  t.equal(info.gatewayEndpoint, x2.id, 'the higher priority network gives the default route')
  t.same(info.endpoints, [x1.id, x2.id])
  t.equal(c.endpoint(x1.id).ifName, 'eth0')
  t.equal(c.endpoint(x2.id).ifName, 'eth1')
  t.equal(await get(both.key!, ea.address!.ip.toString(), 80), 'on a', 'reaches a')
  t.equal(await get(both.key!, eb.address!.ip.toString(), 80), 'on b', 'reaches b')
  await c.leave(x2.id, both.id)
  t.equal(c.sandbox(both.id).gatewayEndpoint, x1.id, 'gateway falls back to a')
  t.equal(
    await get(both.key!, eb.address!.ip.toString(), 80),
    undefined,
    'b unreachable after disconnect',
  )
  t.equal(await get(both.key!, ea.address!.ip.toString(), 80), 'on a', 'a still reachable')
})
