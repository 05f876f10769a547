// Published ports of an overlay container (issue 17, "the way out"): they go through its gateway
// endpoint on docker_gwbridge. A TCP server in a container on an overlay answers
// - a client in an "outside" namespace on the underlay, at the host's address (DNAT: the server
//   sees the client's own address),
// - a client in the host's namespace at 127.0.0.1 (the userland proxy: the server sees the
//   gateway bridge's address),
// and a port published by a second overlay endpoint joined after the gateway endpoint exists is
// added to it (and taken away by its leave), the first port still answering. After a kill -9
// that left the gateway endpoint's interface out of the container, the restart joins it again
// and the port answers. The daemons run with `[cluster] data_path_port = 4790`: the hosts'
// VXLAN devices use it, and the overlay still carries traffic between the hosts.
import { basename, dirname } from 'node:path'
import t from 'tap'
import { sh, until } from './harness.js'
import type { Daemon } from './daemons.js'
import {
  createOverlay,
  ipOf,
  overlayNamespaces,
  overlayWorld,
  pingOnce,
  removeGateways,
  settledLeftovers,
  snap,
  untilPing,
} from './overlay-dnet.js'

const isRoot = process.getuid?.() === 0
const DATA_PATH_PORT = 4790

/** Listens on every port given; answers each connection `port P from ADDRESS` and closes. */
const SERVER = `
const net = require('node:net')
const ports = process.argv.slice(1).map(Number)
let up = 0
for (const p of ports)
  net
    .createServer((s) => s.end('port ' + p + ' from ' + s.remoteAddress.replace(/^::ffff:/, '') + '\\n'))
    .listen(p, '0.0.0.0', () => { if (++up === ports.length) console.log('listening') })
`

/** Connects to HOST PORT, prints what it reads; exit 2 with the error code on a failure. */
const CLIENT = `
const s = require('node:net').connect({ host: process.argv[1], port: Number(process.argv[2]) })
let d = ''
s.setTimeout(5000, () => { console.error('ETIMEDOUT'); process.exit(2) })
s.on('data', (c) => (d += c))
s.on('end', () => { process.stdout.write(d); process.exit(0) })
s.on('error', (e) => { console.error(e.code); process.exit(2) })
`

/** One connection from namespace `ns` to `host:port`: the answer line, or the error code. */
async function connect(ns: string, host: string, port: number): Promise<string> {
  try {
    const out = await sh([
      'ip',
      'netns',
      'exec',
      ns,
      'timeout',
      '30',
      'node',
      '-e',
      CLIENT,
      host,
      String(port),
    ])
    return out.trim()
  } catch (e) {
    return /E[A-Z]+/.exec((e as Error).message)?.[0] ?? (e as Error).message
  }
}

/** Waits until a connection from `ns` to `host:port` is answered `port P from …`; returns it. */
async function untilAnswer(ns: string, host: string, port: number): Promise<string> {
  let last = ''
  await until(
    `an answer at ${host}:${port} from ${ns}`,
    async () => /^port \d+ from /.test((last = await connect(ns, host, port))),
    60_000,
  ).catch((e: Error) => {
    throw new Error(`${e.message} (last: ${last})`)
  })
  return last
}

t.test(
  'published ports of an overlay container go through its gateway endpoint',
  { skip: isRoot ? false : 'needs root (network namespaces, iptables in them)' },
  async (t) => {
    // appended to the generated config, right after its [cluster] section
    const w = await overlayWorld(t, 'etcdless', 2, {
      extraConfig: `data_path_port = ${DATA_PATH_PORT}`,
    })
    const [d1, d2] = w.ds as [Daemon, Daemon]
    const [h1] = w.u.hosts
    const out = await w.u.addHost('out')
    const before = await snap(w)
    await createOverlay(w, { name: 'ov', subnet: '10.62.0.0/24', vni: 4162 })
    await createOverlay(w, { name: 'ov2', subnet: '10.63.0.0/24', vni: 4163 })

    // a container on host 1 with 8080 -> 80 published on its overlay endpoint
    await d1.createContainer('a')
    await d1.cli(['service', 'publish', '-p', '8080:80', 'web.ov'])
    await d1.cli(['service', 'attach', 'a', 'web.ov'])
    const b = ipOf((await d2.run('ov', 'b')).ipv4Address)
    const key = await d1.netns('a')
    t.match(
      dirname(key),
      /^\/(var\/)?run\/netns$/,
      `the container's namespace is a named one: ${key}`,
    )
    const server = w.u.spawnIn(basename(key), ['node', '-e', SERVER, '80', '81'], {
      sameMounts: true,
      lifetimeS: 240,
    })
    t.teardown(() => server.kill())
    await server.waitLine((l) => l === 'listening', 60_000)

    // the VXLAN port of the config, and the overlay works over it
    await untilPing(d1, 'a', b)
    t.pass('a on host 1 reaches b on host 2 over the overlay')
    for (const d of w.ds) {
      const [ns] = await overlayNamespaces(d)
      const link = await sh(['ip', '-n', ns!, '-d', '-o', 'link', 'show', 'type', 'vxlan'])
      t.match(
        link,
        new RegExp(`dstport ${DATA_PATH_PORT}\\b`),
        `${d.host.name}: VXLAN on UDP ${DATA_PATH_PORT}`,
      )
    }

    const gwNet = (await d1.networks()).find((n) => n.name === 'docker_gwbridge')
    t.ok(gwNet, 'host 1 made docker_gwbridge')
    const gwAddr = gwNet?.ipam.config[0]?.gateway?.split('/')[0]
    t.ok(gwAddr, `docker_gwbridge has a gateway address: ${gwAddr}`)

    // outside -> host 1's address: NAT to the container, the client's own address seen
    t.equal(
      await untilAnswer(out.ns, h1!.ip, 8080),
      `port 80 from ${out.ip}`,
      'through DNAT from the outside namespace (the client address is kept)',
    )
    // host 1 -> 127.0.0.1: the userland proxy, which connects from the gateway bridge
    t.equal(
      await untilAnswer(h1!.ns, '127.0.0.1', 8080),
      `port 80 from ${gwAddr}`,
      'through the userland proxy from the host itself',
    )
    // another cluster host: the same NAT path
    t.equal(
      await untilAnswer(w.u.hosts[1]!.ns, h1!.ip, 8080),
      `port 80 from ${w.u.hosts[1]!.ip}`,
      'from host 2 too',
    )

    // a second overlay endpoint with a port of its own, joined after the gateway endpoint exists
    t.match(await connect(out.ns, h1!.ip, 8081), /ECONNREFUSED|ETIMEDOUT/, '8081 not published yet')
    await d1.cli(['service', 'publish', '-p', '8081:81', 'api.ov2'])
    await d1.cli(['service', 'attach', 'a', 'api.ov2'])
    t.equal(
      (await d1.services('docker_gwbridge')).filter((e) => e.sandboxId !== null).length,
      1,
      'still one gateway endpoint',
    )
    t.equal(await untilAnswer(out.ns, h1!.ip, 8081), `port 81 from ${out.ip}`, '8081 from outside')
    t.equal(await untilAnswer(h1!.ns, '127.0.0.1', 8081), `port 81 from ${gwAddr}`, 'and by proxy')
    t.equal(
      await untilAnswer(out.ns, h1!.ip, 8080),
      `port 80 from ${out.ip}`,
      '8080 still answers after the gateway endpoint took 8081 on',
    )

    // its leave takes 8081 away; 8080 stays
    await d1.detach('a', 'ov2', 'api')
    await until(
      '8081 to be refused from the outside once api left',
      async () => /ECONNREFUSED|ETIMEDOUT/.test(await connect(out.ns, h1!.ip, 8081)),
      60_000,
    )
    t.pass('8081 is gone with the endpoint that published it')
    t.equal(await untilAnswer(out.ns, h1!.ip, 8080), `port 80 from ${out.ip}`, '8080 stays')
    t.equal(await untilAnswer(h1!.ns, '127.0.0.1', 8080), `port 80 from ${gwAddr}`, 'by proxy too')
    t.ok(await pingOnce(d1, 'a', b), 'the overlay still carries a to b')

    // kill -9, and the gateway endpoint's interface gone from the container (as when killed
    // between the overlay join and the gateway endpoint's join): the restart joins it again
    await d1.kill()
    const ns = basename(key)
    const route = () => sh(['ip', '-n', ns, 'route', 'show', 'default']).then((r) => r.trim())
    const dev = /\bdev (\S+)/.exec(await route())?.[1]
    t.ok(dev, `the default route goes out of the gateway endpoint's ${dev}`)
    await sh(['ip', '-n', ns, 'link', 'del', dev!])
    t.equal(await route(), '', 'no default route while the daemon is down')
    await d1.restart()
    const fixed = await d1.untilLog(
      'the restore to join the gateway endpoint again',
      (l) => l.msg === 'repaired on restore' && /gateway endpoint added/.test(String(l.what)),
    )
    t.equal(fixed.what, 'sandbox a: gateway endpoint added')
    t.match(await route(), /^default via \S+ dev \S+/, 'the default route is back')
    t.equal(await untilAnswer(out.ns, h1!.ip, 8080), `port 80 from ${out.ip}`, '8080 answers again')
    t.equal(await untilAnswer(h1!.ns, '127.0.0.1', 8080), `port 80 from ${gwAddr}`, 'by proxy too')
    t.equal(
      (await d1.services('docker_gwbridge')).filter((e) => e.sandboxId !== null).length,
      1,
      'one gateway endpoint',
    )
    // (the overlay's own recovery after a kill -9 is the fault scenario's: overlay-scenarios.ts)

    // remove everything: nothing left in the hosts or the stores
    await server.kill()
    await d1.unpublish('ov2', 'api')
    await d1.detach('a', 'ov', 'web')
    await d1.unpublish('ov', 'web')
    await d1.deleteContainer('a')
    await d2.detach('b', 'ov', 'b')
    await d2.unpublish('ov', 'b')
    await d2.deleteContainer('b')
    for (const n of ['ov', 'ov2']) for (const d of w.ds) await d.deleteNetwork(n)
    await removeGateways(w)
    t.same(await settledLeftovers(w, before), [], 'no leftovers in hosts or stores')
  },
)
