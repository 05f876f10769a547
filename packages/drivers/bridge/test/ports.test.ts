// Published ports and ip6tables, real kernel: runs as root inside namespaces this test creates
// (lnt-bridge-*), removed at teardown even on failure. Traffic is tested in
// test-integration/controller; here: rules, listeners, the proxy process and restore.
import t, { type Test } from 'tap'
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import type { Driver, PortBinding } from '@libnetwork/driverapi'
import { IP, InterfaceAddress, LibnetworkError, noopLogger } from '@libnetwork/types'
import { bridge, type BridgeDriverConfig } from '../src/index.js'
import { freshNs, id, listening, netReq, save, sh } from './helpers.js'

/** A TCP listener on the port given as its argument; prints when it listens. */
const LISTEN =
  "require('net').createServer().listen(Number(process.argv[1]), () => console.log('ready'))"

type WithPid = Driver & { proxyPid: number | undefined }

/** A driver in `ns`, started empty unless `fresh` is false (the caller restores it). */
async function driver(
  t: Test,
  ns: string,
  config: BridgeDriverConfig = {},
  fresh = true,
): Promise<WithPid> {
  const d = bridge(config, { netns: ns })({ logger: noopLogger }) as WithPid
  t.teardown(() => d.stop())
  if (fresh) await d.restore({ networks: [], endpoints: [] })
  return d
}

async function joined(
  d: Driver,
  sbx: string,
  net: string,
  ep: string,
  v4: string,
  v6?: string,
  bindings: PortBinding[] = [{ protocol: 'tcp', port: 80 }],
) {
  await d.createEndpoint({
    networkId: net,
    endpointId: ep,
    iface: {
      address: InterfaceAddress.parse(v4),
      ...(v6 ? { addressIPv6: InterfaceAddress.parse(v6) } : {}),
    },
    options: { portBindings: bindings },
  })
  await d.join({ networkId: net, endpointId: ep, sandboxKey: `/run/netns/${sbx}`, options: {} })
  return d.programExternalConnectivity({
    networkId: net,
    endpointId: ep,
    options: { portBindings: bindings },
  })
}

t.test('IPv6 network: ip6tables rules, ports on ::, all gone on delete', async (t) => {
  const ns = await freshNs(t)
  const sbx = await freshNs(t, `${ns}-sb`)
  const d = await driver(t, ns)
  const empty4 = await save(ns, 4)
  const empty6 = await save(ns, 6)
  t.match(empty6, ':LN-FORWARD', 'our ip6tables chains exist from the start')
  await d.createNetwork(netReq(id('a'), '10.40.0.0/24', { v6: 'fd00:40::/64' }))
  const br = `br-${'a'.repeat(12)}`
  const six = await save(ns, 6)
  t.match(six, `-A LN-NETWORKS -i ${br} -o ${br} -j ACCEPT`)
  t.match(six, `-A LN-POSTROUTING -s fd00:40::/64 ! -o ${br} -j MASQUERADE`)
  t.notMatch(six, '10.40.0.0', 'no IPv4 subnet in ip6tables')
  t.notMatch(await save(ns, 4), 'fd00:40::', 'no IPv6 subnet in iptables')
  const withNet4 = await save(ns, 4)
  const ports = await joined(d, sbx, id('a'), id('b'), '10.40.0.2/24', 'fd00:40::2/64')
  const hostPort = ports[0]!.hostPort
  t.same(
    ports.map((p) => `${p.hostIP.toString()}:${p.hostPort}->${p.containerIP.toString()}:${p.port}`),
    [`0.0.0.0:${hostPort}->10.40.0.2:80`, `:::${hostPort}->fd00:40::2:80`],
    'one host port on both families',
  )
  t.match(await save(ns, 6), `-j DNAT --to-destination [fd00:40::2]:80`)
  t.same(await listening(ns), [`0.0.0.0:${hostPort}`, `[::]:${hostPort}`], 'proxy, both')

  // an explicit IPv6 host address publishes on it alone; an endpoint without IPv6 cannot
  const v6only = await joined(d, sbx, id('a'), id('c'), '10.40.0.3/24', 'fd00:40::3/64', [
    { protocol: 'tcp', port: 81, hostIP: IP.parse('::1'), hostPort: 8081 },
  ])
  t.same(
    v6only.map((p) => `${p.hostIP.toString()}:${p.hostPort}`),
    ['::1:8081'],
  )
  const before = [await save(ns, 4), await save(ns, 6), await listening(ns)]
  const err = await joined(d, sbx, id('a'), id('d'), '10.40.0.4/24', undefined, [
    { protocol: 'tcp', port: 81, hostIP: IP.parse('fd00::1') },
  ]).then(
    () => undefined,
    (e: unknown) => e,
  )
  t.ok(LibnetworkError.isInstance(err), 'IPv6 host address without IPv6: typed error')
  t.equal((err as LibnetworkError).code, 'no-ipv6-for-binding', (err as Error).message)
  t.same([await save(ns, 4), await save(ns, 6), await listening(ns)], before, 'nothing changed')

  for (const ep of ['b', 'c', 'd']) {
    const ref = { networkId: id('a'), endpointId: id(ep) }
    await d.revokeExternalConnectivity(ref)
    await d.leave(ref)
    await d.deleteEndpoint(ref)
  }
  t.same(await listening(ns), [], 'no listener left')
  t.equal(await save(ns, 4), withNet4, 'iptables as before the endpoints')
  await d.deleteNetwork({ networkId: id('a') })
  await d.settled!()
  t.equal(await save(ns, 6), empty6, 'ip6tables as before the network')
  t.equal(await save(ns, 4), empty4, 'iptables as before the network')
})

t.test('the proxy starts on first use, comes back if it dies, stops with the driver', async (t) => {
  const ns = await freshNs(t)
  const sbx = await freshNs(t, `${ns}-sb`)
  const d = await driver(t, ns)
  await d.createNetwork(netReq(id('a'), '10.41.0.0/24'))
  t.equal(d.proxyPid, undefined, 'no process before a port is published')
  const [p1] = await joined(d, sbx, id('a'), id('b'), '10.41.0.2/24')
  const pid = d.proxyPid
  t.ok(pid, `proxy pid ${pid}`)
  t.notMatch(
    await sh('ip', '-n', ns, '-d', 'link', 'show', 'vethbbbbbbb'),
    /hairpin on/,
    'no hairpin: the proxy carries container-to-host-port traffic',
  )
  process.kill(pid!, 'SIGKILL')
  await new Promise((r) => setTimeout(r, 200))
  t.same(await listening(ns), [], 'the listener died with the process')
  const [p2] = await joined(d, sbx, id('a'), id('c'), '10.41.0.3/24')
  t.not(d.proxyPid, pid, 'a new process')
  t.same(
    await listening(ns),
    [`0.0.0.0:${p1!.hostPort}`, `0.0.0.0:${p2!.hostPort}`].sort(),
    'it serves the earlier port again, and the new one',
  )
  await d.stop()
  t.same(await listening(ns), [], 'stop ends the process')
  t.match(await save(ns, 4), `--dport ${p1!.hostPort} -j DNAT`, 'rules stay for a restart')
})

t.test('without the proxy: hairpin and route_localnet, no process', async (t) => {
  const ns = await freshNs(t)
  const sbx = await freshNs(t, `${ns}-sb`)
  const d = await driver(t, ns, { userlandProxy: false })
  await d.createNetwork(netReq(id('a'), '10.42.0.0/24'))
  const br = `br-${'a'.repeat(12)}`
  await joined(d, sbx, id('a'), id('b'), '10.42.0.2/24')
  t.equal(d.proxyPid, undefined, 'no proxy process')
  t.same(await listening(ns), [])
  t.match(await sh('ip', '-n', ns, '-d', 'link', 'show', 'vethbbbbbbb'), /hairpin on/)
  t.equal(
    (
      await sh('ip', 'netns', 'exec', ns, 'sysctl', '-n', `net.ipv4.conf.${br}.route_localnet`)
    ).trim(),
    '1',
  )
  const nat = await save(ns, 4)
  t.match(nat, '-A OUTPUT -m addrtype --dst-type LOCAL -j LN-DNAT', 'loopback is DNATed too')
  t.notMatch(nat, `! -i ${br} -p tcp`, 'DNAT also from the bridge (hairpin)')
})

t.test('restore publishes stored ports on the same host ports, once', async (t) => {
  const ns = await freshNs(t)
  const sbx = await freshNs(t, `${ns}-sb`)
  const a = await driver(t, ns)
  const req = netReq(id('a'), '10.43.0.0/24')
  await a.createNetwork(req)
  const ports = await joined(a, sbx, id('a'), id('b'), '10.43.0.2/24', undefined, [
    { protocol: 'tcp', port: 80 },
    { protocol: 'udp', port: 53, hostPort: 5353 },
  ])
  await a.stop()
  const rules = await save(ns, 4)
  const b = await driver(t, ns, {}, false)
  const report = await b.restore({
    networks: [req],
    endpoints: [
      {
        networkId: id('a'),
        endpointId: id('b'),
        iface: { address: InterfaceAddress.parse('10.43.0.2/24') },
        options: {},
        sandboxKey: `/run/netns/${sbx}`,
        boundPorts: ports,
      },
    ],
  })
  t.notOk(report.recreated.includes('iptables rules'), 'nothing was lost, nothing reported')
  t.equal(await save(ns, 4), rules, 'the same rules, not doubled')
  t.same(
    (await b.endpointOperInfo({ networkId: id('a'), endpointId: id('b') })).portBindings,
    ports,
  )
  t.same(await listening(ns), [`0.0.0.0:${ports[0]!.hostPort}`], 'the proxy serves it again')
  // the restored ports are taken: another endpoint cannot have 5353/udp
  await t.rejects(
    joined(b, sbx, id('a'), id('c'), '10.43.0.3/24', undefined, [
      { protocol: 'udp', port: 53, hostPort: 5353 },
    ]),
    { name: 'ConflictError' },
  )
})

t.test('restore: a port taken meanwhile costs only its endpoint, and is reported', async (t) => {
  const ns = await freshNs(t)
  const sbx = await freshNs(t, `${ns}-sb`)
  const a = await driver(t, ns)
  const req = netReq(id('a'), '10.44.0.0/24')
  await a.createNetwork(req)
  const pb = await joined(a, sbx, id('a'), id('b'), '10.44.0.2/24', undefined, [
    { protocol: 'tcp', port: 80, hostPort: 8085 },
  ])
  const pc = await joined(a, sbx, id('a'), id('c'), '10.44.0.3/24', undefined, [
    { protocol: 'tcp', port: 80, hostPort: 8086 },
  ])
  await a.stop()
  // while the driver is down, something else takes 8085
  const squatter = spawn('ip', ['netns', 'exec', ns, process.execPath, '-e', LISTEN, '8085'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  t.teardown(() => {
    squatter.kill('SIGKILL')
  })
  await once(squatter.stdout, 'data')
  const b = await driver(t, ns, {}, false)
  const ep = (e: string, ports: typeof pb, address: string) => ({
    networkId: id('a'),
    endpointId: id(e),
    iface: { address: InterfaceAddress.parse(address) },
    options: {},
    sandboxKey: `/run/netns/${sbx}`,
    boundPorts: ports,
  })
  const report = await b.restore({
    networks: [req],
    endpoints: [ep('b', pb, '10.44.0.2/24'), ep('c', pc, '10.44.0.3/24')],
  })
  t.match(report.removed, [/^endpoint b+: ports not restored: .*8085/], 'reported')
  const info = (e: string) => b.endpointOperInfo({ networkId: id('a'), endpointId: id(e) })
  t.same((await info('b')).portBindings, [], 'b lost its port')
  t.same((await info('c')).portBindings, pc, 'c has its port back')
  const rules = await save(ns, 4)
  t.match(rules, '--dport 8086 -j DNAT', 'rules of c')
  t.notMatch(rules, '--dport 8085 -j DNAT', 'none of b')
})

t.test('iptables off: bindings are not published, nothing is made', async (t) => {
  const ns = await freshNs(t)
  const sbx = await freshNs(t, `${ns}-sb`)
  const pristine = [await save(ns, 4), await save(ns, 6)]
  const d = await driver(t, ns, { iptables: false })
  await d.createNetwork(netReq(id('a'), '10.45.0.0/24', { v6: 'fd00:45::/64' }))
  const ports = await joined(d, sbx, id('a'), id('b'), '10.45.0.2/24', 'fd00:45::2/64')
  t.same(ports, [], 'no bound ports')
  t.equal(d.proxyPid, undefined, 'no proxy')
  t.same(await listening(ns), [])
  t.same([await save(ns, 4), await save(ns, 6)], pristine, 'no rules in either family')
})

t.test('switching the proxy off and on between runs leaves one OUTPUT jump', async (t) => {
  const ns = await freshNs(t)
  const jumps = async () =>
    (await save(ns, 4))
      .split('\n')
      .filter((l) => l.startsWith('-A OUTPUT') && l.includes('LN-DNAT'))
  const a = await driver(t, ns, { userlandProxy: false })
  t.same(await jumps(), ['-A OUTPUT -m addrtype --dst-type LOCAL -j LN-DNAT'])
  await a.stop()
  const b = await driver(t, ns)
  t.same(await jumps(), ['-A OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j LN-DNAT'])
  await b.stop()
  await driver(t, ns, { userlandProxy: false })
  t.same(await jumps(), ['-A OUTPUT -m addrtype --dst-type LOCAL -j LN-DNAT'])
})
