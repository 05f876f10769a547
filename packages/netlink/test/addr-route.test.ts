// Privileged: addresses, routes, neighbours and FDB entries, checked with `ip -j`.
import t from 'tap'
import {
  BadRequestError,
  ConflictError,
  IP,
  IPNet,
  InterfaceAddress,
  NotFoundError,
} from '@libnetwork/types'
import { Netlink } from '../src/index.js'
import { bridgeJson, ip, ipJson, testNetns } from './helpers.js'

function setup(t: { teardown(fn: () => void): void }) {
  const ns = testNetns(t, 'addr')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  h.createLink({ kind: 'bridge', name: 'br0', up: true })
  return { ns, h }
}

interface IpAddr {
  ifname: string
  addr_info: { local: string; prefixlen: number; family: string }[]
}
const ipAddrs = (ns: string, dev: string) =>
  ipJson<IpAddr[]>(ns, 'addr', 'show', 'dev', dev)[0]!.addr_info.map(
    (a) => `${a.local}/${a.prefixlen}`,
  )

t.test('IPv4 and IPv6 addresses: add, list, delete', (t) => {
  const { ns, h } = setup(t)
  h.addAddress('br0', InterfaceAddress.parse('172.20.0.1/16'))
  h.addAddress('br0', InterfaceAddress.parse('fd00:20::1/64'), { noDad: true })
  t.ok(ipAddrs(ns, 'br0').includes('172.20.0.1/16'))
  t.ok(ipAddrs(ns, 'br0').includes('fd00:20::1/64'))
  const mine = h.addresses({ link: 'br0' }).map((a) => String(a.address))
  t.ok(mine.includes('172.20.0.1/16'))
  t.ok(mine.includes('fd00:20::1/64'))
  t.same(
    h.addresses({ link: 'br0', family: 4 }).map((a) => String(a.address)),
    ['172.20.0.1/16'],
  )
  t.match(ipJson(ns, 'addr', 'show', 'dev', 'br0'), [
    { addr_info: [{ local: '172.20.0.1', broadcast: '172.20.255.255' }] },
  ])
  t.throws(() => h.addAddress('br0', InterfaceAddress.parse('172.20.0.1/16')), ConflictError)
  h.deleteAddress('br0', InterfaceAddress.parse('172.20.0.1/16'))
  t.notOk(ipAddrs(ns, 'br0').includes('172.20.0.1/16'))
  t.throws(() => h.deleteAddress('br0', InterfaceAddress.parse('172.20.0.1/16')), NotFoundError)
  t.end()
})

t.test('routes: default, static via gateway, on-link, other table; delete', (t) => {
  const { ns, h } = setup(t)
  h.addAddress('br0', InterfaceAddress.parse('172.20.0.1/16'))
  h.addRoute({ gateway: IP.parse('172.20.0.254') })
  h.addRoute({ dst: IPNet.parse('10.50.0.0/16'), gateway: IP.parse('172.20.0.253'), oif: 'br0' })
  h.addRoute({
    dst: IPNet.parse('10.60.0.0/16'),
    gateway: IP.parse('192.168.99.1'),
    oif: 'br0',
    onLink: true,
  })
  h.addRoute({ dst: IPNet.parse('10.70.0.0/16'), oif: 'br0', table: 1000 })
  const routes = ipJson<{ dst: string; gateway?: string; flags: string[]; dev: string }[]>(
    ns,
    'route',
    'show',
  )
  t.match(
    routes.find((r) => r.dst === 'default'),
    { gateway: '172.20.0.254', dev: 'br0' },
  )
  t.match(
    routes.find((r) => r.dst === '10.50.0.0/16'),
    { gateway: '172.20.0.253' },
  )
  t.match(
    routes.find((r) => r.dst === '10.60.0.0/16'),
    { gateway: '192.168.99.1', flags: ['onlink'] },
  )
  t.match(ipJson(ns, 'route', 'show', 'table', '1000'), [
    { dst: '10.70.0.0/16', dev: 'br0', scope: 'link' },
  ])
  const mine = h.routes()
  t.equal(mine.find((r) => r.dst === undefined)?.gateway?.toString(), '172.20.0.254')
  t.ok(mine.find((r) => r.dst?.toString() === '10.60.0.0/16')?.onLink)
  t.same(
    h.routes({ table: 1000 }).map((r) => r.dst?.toString()),
    ['10.70.0.0/16'],
  )
  // A gateway outside every connected network needs onLink.
  t.throws(
    () => h.addRoute({ dst: IPNet.parse('10.80.0.0/16'), gateway: IP.parse('192.168.98.1') }),
    BadRequestError,
  )
  t.throws(() => h.addRoute({ gateway: IP.parse('172.20.0.254') }), ConflictError)
  h.deleteRoute({ gateway: IP.parse('172.20.0.254') })
  h.deleteRoute({ dst: IPNet.parse('10.70.0.0/16'), oif: 'br0', table: 1000 })
  t.notOk(ip(ns, 'route', 'show').includes('default'))
  t.same(ipJson(ns, 'route', 'show', 'table', '1000'), [])
  t.throws(() => h.deleteRoute({ gateway: IP.parse('172.20.0.254') }), NotFoundError)
  t.end()
})

t.test('IPv6 default route', (t) => {
  const { ns, h } = setup(t)
  h.addAddress('br0', InterfaceAddress.parse('fd00:20::1/64'), { noDad: true })
  h.addRoute({ gateway: IP.parse('fd00:20::fe'), oif: 'br0' })
  t.match(ipJson(ns, '-6', 'route', 'show', 'default'), [{ gateway: 'fd00:20::fe', dev: 'br0' }])
  t.equal(
    h
      .routes({ family: 6 })
      .find((r) => r.dst === undefined)
      ?.gateway?.toString(),
    'fd00:20::fe',
  )
  t.end()
})

t.test('neighbours and FDB entries', (t) => {
  const { ns, h } = setup(t)
  h.addAddress('br0', InterfaceAddress.parse('172.20.0.1/16'))
  h.addNeighbor({ link: 'br0', ip: IP.parse('172.20.0.9'), mac: '02:42:ac:14:00:09' })
  t.match(ipJson(ns, 'neigh', 'show', 'dev', 'br0'), [
    { dst: '172.20.0.9', lladdr: '02:42:ac:14:00:09', state: ['PERMANENT'] },
  ])
  // Multicast groups add NOARP entries of their own: look at the permanent ones.
  const permanent = () => h.neighbors({ link: 'br0' }).filter((n) => n.state === 0x80)
  t.match(permanent(), [{ mac: '02:42:ac:14:00:09', ip: IP.parse('172.20.0.9') }])
  t.throws(
    () => h.addNeighbor({ link: 'br0', ip: IP.parse('172.20.0.9'), mac: '02:42:ac:14:00:0a' }),
    ConflictError,
  )
  h.replaceNeighbor({ link: 'br0', ip: IP.parse('172.20.0.9'), mac: '02:42:ac:14:00:0a' })
  t.match(permanent(), [{ mac: '02:42:ac:14:00:0a' }])
  h.deleteNeighbor({ link: 'br0', ip: IP.parse('172.20.0.9') })
  t.same(permanent(), [])

  // VXLAN FDB: a MAC reachable through a remote tunnel endpoint, as the overlay driver programs it.
  h.createLink({ kind: 'vxlan', name: 'vx0', vxlan: { id: 42, port: 4789, learning: false } })
  h.addFdb({ link: 'vx0', mac: '02:42:0a:00:00:05', dst: IP.parse('192.0.2.5') })
  t.match(bridgeJson(ns, 'fdb', 'show', 'dev', 'vx0'), [
    { mac: '02:42:0a:00:00:05', dst: '192.0.2.5' },
  ])
  t.match(
    h.fdb({ link: 'vx0' }).find((f) => f.mac === '02:42:0a:00:00:05'),
    { ip: IP.parse('192.0.2.5') },
  )
  h.deleteFdb({ link: 'vx0', mac: '02:42:0a:00:00:05', dst: IP.parse('192.0.2.5') })
  t.notOk(JSON.stringify(bridgeJson(ns, 'fdb', 'show', 'dev', 'vx0')).includes('02:42:0a:00:00:05'))
  t.end()
})

t.test('bad input is rejected and changes nothing', (t) => {
  const { ns, h } = setup(t)
  const before = ip(ns, 'addr') + ip(ns, 'route')
  t.throws(() => h.addAddress('br0', '10.0.0.1/24' as never), BadRequestError)
  t.throws(() => h.addRoute({ dst: IPNet.parse('10.0.0.0/8') }), BadRequestError)
  t.throws(() => h.addRoute(null as never), BadRequestError)
  t.throws(
    () => h.addNeighbor({ link: 'br0', ip: IP.parse('10.0.0.1'), mac: 'bad' }),
    BadRequestError,
  )
  t.throws(() => h.addAddress('nope0', InterfaceAddress.parse('10.0.0.1/24')), NotFoundError)
  t.equal(ip(ns, 'addr') + ip(ns, 'route'), before)
  t.end()
})
