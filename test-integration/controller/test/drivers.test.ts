import t from 'tap'
import { IPNet } from '@libnetwork/types'
import { get, hostEnv, serve, sh, startController } from './helpers.js'

t.test('null and host networks; IPv6 on a bridge network', async (t) => {
  const env = await hostEnv(t)
  const c = await startController(env)
  const none = await c.createNetwork({ name: 'none', driver: 'null' })
  const host = await c.createNetwork({ name: 'host', driver: 'host' })
  await t.rejects(c.createNetwork({ name: 'none2', driver: 'null' }), {
    name: 'DriverForbiddenError',
  })
  t.same(none.ipv4, [], 'null networks have no pools')

  const quiet = await c.createSandbox({ containerId: 'quiet' })
  const nep = await c.createEndpoint(none.id, { name: 'quiet' })
  await c.join(nep.id, quiet.id)
  const links = JSON.parse(await sh(['ip', '-n', quiet.key!, '-j', 'link', 'show'])) as Array<{
    ifname: string
  }>
  t.same(
    links.map((l) => l.ifname),
    ['lo'],
    'a null endpoint adds no interface',
  )
  t.equal(c.sandbox(quiet.id).gatewayEndpoint, undefined)

  const shared = await c.createSandbox({ containerId: 'shared', useHostNetwork: true })
  t.equal(shared.key, undefined, 'a host-network sandbox has no namespace of its own')
  const hep = await c.createEndpoint(host.id, { name: 'shared' })
  await c.join(hep.id, shared.id)
  await t.rejects(c.join((await c.createEndpoint(host.id, { name: 'x' })).id, quiet.id), {
    name: 'ForbiddenError',
  })

  const v6 = await c.createNetwork({
    name: 'v6',
    driver: 'bridge',
    enableIPv6: true,
    ipam: {
      config: [{ subnet: IPNet.parse('172.31.60.0/24') }, { subnet: IPNet.parse('fd00:60::/64') }],
    },
  })
  t.equal(v6.ipv6[0]!.gateway!.toString(), 'fd00:60::1')
  const a = await c.createEndpoint(v6.id, { name: 'a6' })
  const b = await c.createEndpoint(v6.id, { name: 'b6' })
  t.equal(a.addressIPv6!.toString(), 'fd00:60::2/64')
  const sa = await c.createSandbox({ containerId: 'a6' })
  const sb = await c.createSandbox({ containerId: 'b6' })
  await c.join(a.id, sa.id)
  await c.join(b.id, sb.id)
  t.match(
    await sh(['ip', '-n', sa.key!, '-6', 'route', 'show', 'default']),
    /via fd00:60::1 dev eth0/,
    'IPv6 default route',
  )
  await serve(t, sa.key!, 80, 'over v6')
  t.equal(await get(sb.key!, 'fd00:60::2', 80), 'over v6', 'containers talk over IPv6')
})
