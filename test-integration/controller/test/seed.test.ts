import t from 'tap'
import { IPNet } from '@libnetwork/types'
import { get, hostEnv, kernelState, outside, serve, startController } from './helpers.js'

t.test(
  'the seed README flow, then three containers talk by IP and reach the outside',
  async (t) => {
    const env = await hostEnv(t)
    const out = await outside(env)
    const c = await startController(env)
    const net = await c.createNetwork({
      name: 'network1',
      driver: 'bridge',
      ipam: { config: [{ subnet: IPNet.parse('172.30.0.0/24') }] },
    })
    const ep = await c.createEndpoint(net.id, { name: 'Endpoint1' })
    const sb = await c.createSandbox({ containerId: 'container1', hostname: 'test.example.com' })
    await c.join(ep.id, sb.id)
    const info = c.endpoint(ep.id)
    t.comment(`Endpoint1 MAC address: ${info.mac!}`)
    t.match(info.mac!, /^02:42:ac:1e:00:02$/)
    const st = await kernelState(env.ns)
    t.ok(st.links.includes(`br-${net.id.slice(0, 12)}`), 'bridge exists')
    t.ok(st.addrs.includes(`br-${net.id.slice(0, 12)} 172.30.0.1/24`), 'gateway on the bridge')

    const eps = [ep]
    const sbs = [sb]
    for (const i of [2, 3]) {
      const e = await c.createEndpoint(net.id, { name: `Endpoint${i}` })
      const s = await c.createSandbox({ containerId: `container${i}` })
      await c.join(e.id, s.id)
      eps.push(e)
      sbs.push(s)
    }
    await serve(t, sbs[0]!.key!, 8000, 'hello from c1')
    t.equal(await get(sbs[1]!.key!, '172.30.0.2', 8000), 'hello from c1', 'c2 reaches c1 by IP')
    t.equal(await get(sbs[2]!.key!, '172.30.0.2', 8000), 'hello from c1', 'c3 reaches c1 by IP')
    await serve(t, out.ns, 9000, 'internet')
    t.equal(
      await get(sbs[1]!.key!, out.ip, 9000),
      'internet',
      'c2 reaches the outside through masquerade',
    )
  },
)
