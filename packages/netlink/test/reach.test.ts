// Privileged: two namespaces joined by veth pairs through a bridge that lives in a third
// namespace (never the machine's own); a UDP and a TCP exchange opened inside each.
import t from 'tap'
import { InterfaceAddress } from '@libnetwork/types'
import { Netlink } from '../src/index.js'
import { ipJson, nsWorker, testNetns } from './helpers.js'

t.test('two namespaces reach each other through a bridge', async (t) => {
  const host = testNetns(t, 'host')
  const a = testNetns(t, 'a')
  const b = testNetns(t, 'b')
  const h = Netlink.open({ netns: host })
  t.teardown(() => h.close())
  h.createLink({ kind: 'bridge', name: 'br0', up: true })
  for (const [ns, n, addr] of [
    [a, 'a', '10.77.0.2/24'],
    [b, 'b', '10.77.0.3/24'],
  ] as const) {
    h.createLink({
      kind: 'veth',
      name: `veth${n}`,
      peer: { name: 'eth0', netns: ns },
      master: 'br0',
      up: true,
    })
    const c = Netlink.open({ netns: ns })
    c.setUp('lo')
    c.addAddress('eth0', InterfaceAddress.parse(addr), { noDad: true })
    c.setUp('eth0')
    c.close()
  }
  t.match(ipJson(a, 'addr', 'show', 'dev', 'eth0'), [
    { operstate: 'UP', addr_info: [{ local: '10.77.0.2' }] },
  ])
  t.same(
    ipJson<{ ifname: string; master?: string }[]>(host, 'link', 'show', 'master', 'br0')
      .map((l) => l.ifname)
      .sort(),
    ['vetha', 'vethb'],
  )

  const udp = await nsWorker({ netns: b, role: 'udp-server', address: '10.77.0.3', port: 7000 })
  t.teardown(() => udp.stop())
  const u = await nsWorker({
    netns: a,
    role: 'udp-client',
    address: '10.77.0.3',
    port: 7000,
    message: 'from a',
  })
  t.equal(u.reply, 'FROM A')
  await u.stop()

  const tcp = await nsWorker({ netns: a, role: 'tcp-server', address: '10.77.0.2', port: 7001 })
  t.teardown(() => tcp.stop())
  const c = await nsWorker({
    netns: b,
    role: 'tcp-client',
    address: '10.77.0.2',
    port: 7001,
    message: 'from b',
  })
  t.equal(c.reply, 'FROM B')
  await c.stop()
})
