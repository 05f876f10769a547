import t from 'tap'
import { readFileSync } from 'node:fs'
import { IPNet } from '@libnetwork/types'
import { get, hostEnv, outside, resolve, serve, serveDns, startController } from './helpers.js'

t.test(
  'containers find each other by name and alias through 127.0.0.11; the rest is forwarded',
  async (t) => {
    const env = await hostEnv(t)
    const out = await outside(env)
    // An upstream DNS server in the "internet" namespace, named by the host's resolv.conf.
    await serveDns(t, out.ns, out.ip, 'example', '10.1.2.3')
    const c = await startController(env)
    const net = await c.createNetwork({
      name: 'front',
      driver: 'bridge',
      ipam: { config: [{ subnet: IPNet.parse('172.31.50.0/24') }] },
    })
    const other = await c.createNetwork({
      name: 'back',
      driver: 'bridge',
      ipam: { config: [{ subnet: IPNet.parse('172.31.51.0/24') }] },
    })
    const run = async (name: string, network: string, aliases: string[] = []) => {
      const ep = await c.createEndpoint(network, { name, aliases })
      const sb = await c.createSandbox({
        containerId: name,
        hostname: name,
        domainname: 'example.test',
      })
      await c.join(ep.id, sb.id)
      return { ep: c.endpoint(ep.id), sb: c.sandbox(sb.id) }
    }
    const web = await run('web', net.id, ['www'])
    const api = await run('api', net.id)
    const db = await run('db', net.id)
    const hidden = await run('hidden', other.id)

    t.match(
      readFileSync(web.sb.resolvConfPath!, 'utf8'),
      /^nameserver 127\.0\.0\.11$/m,
      'resolv.conf points at the embedded DNS',
    )
    t.match(
      readFileSync(web.sb.hostsPath!, 'utf8'),
      /172\.31\.50\.2\s+web\.example\.test\s+web/,
      'hosts file has the own address',
    )
    t.equal(
      await resolve(api.sb.key!, '127.0.0.11', 'web'),
      web.ep.address!.ip.toString(),
      'api finds web',
    )
    t.equal(
      await resolve(db.sb.key!, '127.0.0.11', 'www'),
      web.ep.address!.ip.toString(),
      'db finds web by alias',
    )
    t.equal(
      await resolve(web.sb.key!, '127.0.0.11', 'db.front'),
      db.ep.address!.ip.toString(),
      'name.network works',
    )
    t.equal(
      await resolve(web.sb.key!, '127.0.0.11', 'hidden'),
      undefined,
      'a container on another network is not visible',
    )
    await serve(t, web.sb.key!, 80, 'web by name')
    const byName = await resolve(api.sb.key!, '127.0.0.11', 'web')
    t.equal(await get(api.sb.key!, byName!, 80), 'web by name', 'api reaches web by name')
    t.equal(
      await resolve(api.sb.key!, '127.0.0.11', 'example.outside'),
      '10.1.2.3',
      'forwarded to the upstream server',
    )

    // a new container on the network becomes visible to the others; one that leaves disappears
    const late = await run('late', net.id)
    t.equal(await resolve(web.sb.key!, '127.0.0.11', 'late'), late.ep.address!.ip.toString())
    await c.leave(late.ep.id, late.sb.id)
    const after = await resolve(web.sb.key!, '127.0.0.11', 'late')
    t.equal(after, undefined, `gone after leave (${String(after)})`)
    // connecting hidden to front makes front's names visible to it
    const bridgeEp = await c.createEndpoint(net.id, { name: 'hidden2' })
    await c.join(bridgeEp.id, hidden.sb.id)
    t.equal(
      await resolve(hidden.sb.key!, '127.0.0.11', 'api'),
      api.ep.address!.ip.toString(),
      'names of a newly joined network',
    )
    await c.stop()
  },
)
