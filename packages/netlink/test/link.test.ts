// Privileged: links in throwaway namespaces, checked through the library and `ip -j`.
import t from 'tap'
import {
  BadRequestError,
  ConflictError,
  IP,
  NotFoundError,
  NotImplementedError,
  UnavailableError,
} from '@libnetwork/types'
import { spawn } from 'node:child_process'
import { closeSync, fstatSync, openSync, readlinkSync } from 'node:fs'
import { Netlink, withNetns } from '../src/index.js'
import { ip, ipJson, testNetns, threadNetns } from './helpers.js'

interface IpLink {
  ifname: string
  ifindex: number
  mtu: number
  address: string
  flags: string[]
  master?: string
  link_netnsid?: number
  linkinfo?: { info_kind: string; info_data?: Record<string, unknown> }
}
const ipLinks = (ns: string) => ipJson<IpLink[]>(ns, '-d', 'link', 'show')
const ipLink = (ns: string, name: string) => ipLinks(ns).find((l) => l.ifname === name)

t.test('bridge, veth, vxlan and macvlan: create, read back, delete', (t) => {
  const ns = testNetns(t, 'link')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  h.createLink({ kind: 'bridge', name: 'br0', mtu: 1450, mac: '02:42:ac:11:00:01', up: true })
  t.match(h.link('br0'), { kind: 'bridge', mtu: 1450, mac: '02:42:ac:11:00:01', up: true })
  t.match(ipLink(ns, 'br0'), {
    mtu: 1450,
    address: '02:42:ac:11:00:01',
    linkinfo: { info_kind: 'bridge' },
  })
  h.createLink({
    kind: 'veth',
    name: 'vh0',
    peer: { name: 'vc0', mac: '02:42:ac:11:00:03' },
    master: 'br0',
  })
  h.createLink({
    kind: 'vxlan',
    name: 'vx0',
    vxlan: {
      id: 4097,
      port: 4789,
      learning: false,
      proxy: true,
      local: IP.parse('192.0.2.1'),
      ttl: 7,
    },
  })
  h.createLink({ kind: 'macvlan', name: 'mv0', parent: 'br0', mode: 'vepa' })

  const br = h.link('br0')
  // The kernel moves a bridge's MTU to its ports' unless the MTU was set after creation.
  t.equal(br.mtu, 1500)
  t.equal(h.link('vh0').master, br.index)
  t.equal(ipLink(ns, 'vh0')?.master, 'br0')
  t.equal(h.link('vc0').mac, '02:42:ac:11:00:03')
  t.equal(h.link('vc0').parent, h.link('vh0').index)
  t.match(ipLink(ns, 'vx0')?.linkinfo, {
    info_kind: 'vxlan',
    info_data: { id: 4097, port: 4789, learning: false, proxy: true, local: '192.0.2.1', ttl: 7 },
  })
  t.match(h.link('vx0').info, {
    kind: 'vxlan',
    id: 4097,
    port: 4789,
    learning: false,
    proxy: true,
    ttl: 7,
  })
  t.match(ipLink(ns, 'mv0')?.linkinfo, { info_kind: 'macvlan', info_data: { mode: 'vepa' } })
  t.match(h.link('mv0'), { parent: br.index, info: { kind: 'macvlan', mode: 'vepa' } })
  t.same(
    h
      .links()
      .map((l) => l.name)
      .sort(),
    ipLinks(ns)
      .map((l) => l.ifname)
      .sort(),
  )

  h.deleteLink('mv0')
  h.deleteLink('vh0') // takes its peer with it
  t.equal(h.findLink('vc0'), undefined)
  t.equal(ipLink(ns, 'mv0'), undefined)
  t.end()
})

t.test('set: up/down, mtu, mac, name, master/nomaster, alias', (t) => {
  const ns = testNetns(t, 'set')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  h.createLink({ kind: 'bridge', name: 'br0' })
  h.createLink({ kind: 'veth', name: 'a0', peer: { name: 'b0' } })
  h.setLink('a0', {
    mtu: 1400,
    mac: '02:00:00:00:00:aa',
    name: 'a1',
    master: 'br0',
    alias: 'host end',
  })
  h.setUp('a1')
  t.match(ipLink(ns, 'a1'), { mtu: 1400, address: '02:00:00:00:00:aa', master: 'br0' })
  t.ok(ipLink(ns, 'a1')?.flags.includes('UP'))
  t.match(h.link('a1'), { up: true, alias: 'host end', master: h.index('br0') })
  h.setLink('a1', { master: null })
  h.setDown('a1')
  t.equal(ipLink(ns, 'a1')?.master, undefined)
  t.notOk(ipLink(ns, 'a1')?.flags.includes('UP'))
  t.end()
})

t.test('bridge port settings: hairpin, learning, flooding, isolation, cost', (t) => {
  const ns = testNetns(t, 'port')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  h.createLink({ kind: 'bridge', name: 'br0' })
  h.createLink({ kind: 'veth', name: 'p0', peer: { name: 'p1' }, master: 'br0' })
  h.setLink('p0', {
    bridgePort: { hairpin: true, learning: false, unicastFlood: false, isolated: true, cost: 7 },
  })
  const seen = ipJson<{ linkinfo: { info_slave_data: Record<string, unknown> } }[]>(
    ns,
    '-d',
    'link',
    'show',
    'p0',
  )
  t.match(seen[0]!.linkinfo.info_slave_data, {
    hairpin: true,
    learning: false,
    flood: false,
    isolated: true,
    cost: 7,
  })
  t.match(h.link('p0').bridgePort, {
    hairpin: true,
    learning: false,
    unicastFlood: false,
    isolated: true,
    cost: 7,
  })
  h.setLink('p0', { bridgePort: { hairpin: false } })
  t.equal(h.link('p0').bridgePort?.hairpin, false)
  t.throws(() => h.setLink('p0', { bridgePort: { priority: 64 } }), BadRequestError)
  // Not a bridge port: the kernel refuses port settings.
  t.throws(() => h.setLink('br0', { bridgePort: { hairpin: true } }))
  t.end()
})

t.test('move a link into another namespace by name, fd path and back', (t) => {
  const a = testNetns(t, 'mva')
  const b = testNetns(t, 'mvb')
  const ha = Netlink.open({ netns: a })
  const hb = Netlink.open({ netns: b })
  t.teardown(() => (ha.close(), hb.close()))
  ha.createLink({ kind: 'veth', name: 'x0', peer: { name: 'y0', netns: b } })
  t.ok(ipLink(b, 'y0'), 'peer created directly in b')
  t.equal(ipLink(a, 'y0'), undefined)
  hb.setLink('y0', { netns: `/var/run/netns/${a}`, name: 'y1' })
  t.ok(ipLink(a, 'y1'), 'moved and renamed in one request')
  t.equal(ipLink(b, 'y0'), undefined)
  // By an fd the caller opened (and keeps: the library does not close it).
  const fd = openSync(`/var/run/netns/${b}`, 'r')
  t.teardown(() => closeSync(fd))
  ha.setLink('y1', { netns: { fd } })
  t.ok(ipLink(b, 'y1'), 'moved by fd')
  t.equal(fstatSync(fd).isFile(), true, 'fd still open')
  t.end()
})

t.test('move a link by process id; vxlan with a unicast remote', async (t) => {
  const a = testNetns(t, 'pid')
  const b = testNetns(t, 'pidb')
  const ha = Netlink.open({ netns: a })
  t.teardown(() => ha.close())
  // A process living in namespace b: its pid names the namespace.
  const child = spawn('ip', ['netns', 'exec', b, 'sleep', '30'], { stdio: 'ignore' })
  t.teardown(() => {
    child.kill()
  })
  await new Promise((resolve) => child.once('spawn', resolve))
  // `ip netns exec` execs sleep in place: wait until the pid has switched namespaces.
  const target = withNetns(b, threadNetns)
  for (let i = 0; i < 100 && readlinkSync(`/proc/${child.pid}/ns/net`) !== target; i++) {
    await new Promise((r) => setTimeout(r, 20))
  }
  ha.createLink({ kind: 'veth', name: 'p0', peer: { name: 'p1' } })
  ha.setLink('p1', { netns: { pid: child.pid! } })
  t.ok(ipLink(b, 'p1'), 'moved into the namespace of the pid')
  t.equal(ipLink(a, 'p1'), undefined)

  ha.createLink({
    kind: 'vxlan',
    name: 'vx1',
    vxlan: { id: 7, remote: IP.parse('192.0.2.9'), port: 4789 },
  })
  t.match(ipLink(a, 'vx1')?.linkinfo, { info_data: { id: 7, remote: '192.0.2.9', port: 4789 } })
  const info = ha.link('vx1').info
  t.equal(info?.kind === 'vxlan' && info.group?.toString(), '192.0.2.9')
})

t.test('kernel errors become typed errors with errno details', (t) => {
  const ns = testNetns(t, 'err')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  h.createLink({ kind: 'bridge', name: 'br0' })
  const dup = t.throws(
    () => h.createLink({ kind: 'bridge', name: 'br0' }),
    ConflictError,
  ) as unknown as ConflictError
  t.match(dup.details, { errno: 17, errnoName: 'EEXIST', name: 'br0' })
  t.throws(() => h.link('nope0'), NotFoundError)
  t.throws(() => h.deleteLink(999999), NotFoundError)
  // This kernel has no dummy driver: EOPNOTSUPP, with the kernel's own explanation.
  const dummy = t.throws(
    () => h.createLink({ kind: 'dummy', name: 'd0' }),
    NotImplementedError,
  ) as unknown as Error
  t.match(dummy.message, /Unknown device type/)
  t.end()
})

t.test('bad input throws BadRequestError and changes nothing', (t) => {
  const ns = testNetns(t, 'bad')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  h.createLink({ kind: 'bridge', name: 'br0', mtu: 1500 })
  const before = ip(ns, '-d', 'link', 'show')
  t.throws(() => h.createLink({ kind: 'bridge', name: 'this-name-is-too-long' }), BadRequestError)
  t.throws(() => h.setLink('br0', { mtu: 10 }), BadRequestError)
  t.throws(() => h.setLink('br0', { mac: 'nope' }), BadRequestError)
  t.throws(() => h.setLink('br0', { name: 'a b' }), BadRequestError)
  t.throws(() => h.setLink('br0', null as never), BadRequestError)
  t.throws(() => h.createLink({ kind: 'vxlan', name: 'vx0', vxlan: { id: -1 } }), BadRequestError)
  t.equal(ip(ns, '-d', 'link', 'show'), before)
  t.end()
})

t.test('a closed client refuses further requests', (t) => {
  const ns = testNetns(t, 'close')
  const h = Netlink.open({ netns: ns })
  h.close()
  t.throws(() => h.links(), UnavailableError)
  t.end()
})
