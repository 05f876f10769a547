// Privileged: sandboxes in a private run dir, fed from a throwaway "host" namespace.
import t from 'tap'
import {
  BadRequestError,
  ConflictError,
  IP,
  IPNet,
  InterfaceAddress,
  NotFoundError,
} from '@libnetwork/types'
import { getSysctl } from '@libnetwork/netlink'
import { Osl } from '../src/index.js'
import { type IpAddrLink, ipJson, linkNames, rand, testOsl } from './helpers.js'

t.test(
  'create a sandbox, move two interfaces in, route, neighbour, sysctl, move out, destroy',
  (t) => {
    const { osl, host, hostPath } = testOsl(t)
    const key = `lnt-osl-sb-${rand()}`
    const sb = osl.createSandbox(key)
    t.same(osl.sandboxKeys(), [key])
    t.match(ipJson<IpAddrLink[]>(sb.path, 'link', 'show', 'lo'), [
      { flags: ['LOOPBACK', 'UP', 'LOWER_UP'] },
    ])

    host.createLink({ kind: 'bridge', name: 'br0', up: true })
    host.createLink({ kind: 'veth', name: 'vh0', peer: { name: 'vc0' }, master: 'br0', up: true })
    host.createLink({ kind: 'veth', name: 'vh1', peer: { name: 'vc1' }, master: 'br0', up: true })
    const eth0 = sb.addInterface({
      srcName: 'vc0',
      mac: '02:42:ac:15:00:02',
      mtu: 1400,
      addresses: [InterfaceAddress.parse('172.21.0.2/16'), InterfaceAddress.parse('fd00:21::2/64')],
    })
    t.match(eth0, { name: 'eth0', srcName: 'vc0', mac: '02:42:ac:15:00:02', mtu: 1400, up: true })
    t.same(eth0.addresses.map(String).sort(), ['172.21.0.2/16', 'fd00:21::2/64'])
    const eth1 = sb.addInterface({
      srcName: 'vc1',
      addresses: [InterfaceAddress.parse('10.1.0.2/24')],
    })
    t.equal(eth1.name, 'eth1')

    const seen = ipJson<IpAddrLink[]>(sb.path, 'addr', 'show', 'dev', 'eth0')[0]!
    t.match(seen, { address: '02:42:ac:15:00:02', mtu: 1400 })
    t.ok(seen.flags.includes('UP'))
    t.same(
      seen.addr_info
        .filter((a) => a.scope === 'global')
        .map((a) => `${a.local}/${a.prefixlen}`)
        .sort(),
      ['172.21.0.2/16', 'fd00:21::2/64'],
    )
    t.notOk(linkNames(hostPath).includes('vc0'), 'gone from the host')

    sb.setGateway(IP.parse('172.21.0.1'))
    sb.setGateway(IP.parse('fd00:21::1'))
    t.throws(() => sb.setGateway(IP.parse('172.21.0.254')), ConflictError)
    sb.addStaticRoute({
      destination: IPNet.parse('192.168.50.0/24'),
      routeType: 'nexthop',
      nextHop: IP.parse('10.1.0.1'),
      interface: 'eth1',
    })
    sb.addNeighbor({ ip: IP.parse('172.21.0.9'), mac: '02:42:ac:15:00:09', interface: 'eth0' })
    sb.setSysctl('net.ipv4.conf.eth0.arp_ignore', 1)
    t.match(ipJson(sb.path, 'route', 'show', 'default'), [{ gateway: '172.21.0.1', dev: 'eth0' }])
    t.match(ipJson(sb.path, '-6', 'route', 'show', 'default'), [{ gateway: 'fd00:21::1' }])
    t.match(ipJson(sb.path, 'route', 'show', '192.168.50.0/24'), [
      { gateway: '10.1.0.1', dev: 'eth1' },
    ])
    t.match(ipJson(sb.path, 'neigh', 'show', '172.21.0.9'), [
      { lladdr: '02:42:ac:15:00:09', state: ['PERMANENT'] },
    ])
    t.equal(getSysctl('net.ipv4.conf.eth0.arp_ignore', { netns: sb.path }), '1')

    t.throws(
      () =>
        sb.addStaticRoute({ destination: IPNet.parse('192.168.51.0/24'), routeType: 'nexthop' }),
      { name: 'BadRequestError', code: 'invalid-route' },
      'a nexthop route without its next hop',
    )
    t.same(ipJson(sb.path, 'route', 'show', '192.168.51.0/24'), [], 'nothing programmed')

    const info = sb.info()
    t.match(info, { key, gateway: IP.parse('172.21.0.1'), gatewayV6: IP.parse('fd00:21::1') })
    t.same(
      info.interfaces.map((i) => i.name),
      ['eth0', 'eth1'],
    )
    t.equal(info.routes.length, 1)
    t.equal(info.neighbors.length, 1)

    sb.unsetGateway(4)
    t.same(ipJson(sb.path, 'route', 'show', 'default'), [])
    sb.removeStaticRoute({
      destination: IPNet.parse('192.168.50.0/24'),
      routeType: 'nexthop',
      nextHop: IP.parse('10.1.0.1'),
      interface: 'eth1',
    })
    sb.deleteNeighbor({ ip: IP.parse('172.21.0.9'), interface: 'eth0' })
    t.same(sb.info().routes, [])

    sb.removeInterface('eth0')
    const back = ipJson<IpAddrLink[]>(hostPath, 'addr', 'show', 'dev', 'vc0')[0]!
    t.ok(back, 'vc0 is back in the host under its old name')
    t.notOk(back.flags.includes('UP'))
    t.equal(back.mtu, 1500, 'its MTU restored')
    t.same(
      back.addr_info.filter((a) => a.scope === 'global'),
      [],
      'no addresses came back',
    )
    sb.removeInterface('eth1', { delete: true })
    t.notOk(linkNames(hostPath).includes('vh1'), 'deleting a veth end takes the peer along')

    sb.destroy()
    t.same(osl.sandboxKeys(), [])
    t.throws(() => sb.interfaces(), NotFoundError)
    t.end()
  },
)

t.test('restore a sandbox after a restart and take its interface out', (t) => {
  const { osl, host, hostPath, runDir } = testOsl(t)
  const key = `lnt-osl-rs-${rand()}`
  const sb = osl.createSandbox(key)
  host.createLink({ kind: 'veth', name: 'vh0', peer: { name: 'vc0' } })
  sb.addInterface({
    srcName: 'vc0',
    dstName: 'net0',
    addresses: [InterfaceAddress.parse('10.2.0.2/24')],
  })

  const again = new Osl({ runDir, hostNetns: hostPath })
  t.teardown(() => again.close())
  const restored = again.restoreSandbox(key)
  t.match(restored.interfaces(), [{ name: 'net0', up: true }])
  t.same(restored.interfaces()[0]!.addresses.map(String), ['10.2.0.2/24'])
  restored.removeInterface('net0', { hostName: 'vc0' })
  t.ok(linkNames(hostPath).includes('vc0'), 'back in the host under the name given')
  t.throws(() => again.restoreSandbox('lnt-osl-nope'), NotFoundError)
  t.end()
})

t.test('bad input is refused and changes nothing', (t) => {
  const { osl, host, hostPath } = testOsl(t)
  const sb = osl.createSandbox(`lnt-osl-bad-${rand()}`)
  host.createLink({ kind: 'veth', name: 'vh0', peer: { name: 'vc0' } })
  const before = JSON.stringify([ipJson(hostPath, 'addr'), ipJson(sb.path, 'addr')])
  t.throws(() => osl.createSandbox('../escape'), BadRequestError)
  t.throws(() => osl.createSandbox(sb.key), ConflictError, 'a key is used once')
  t.throws(() => sb.addInterface({ srcName: 'vc0', dstPrefix: 'eth/' }), BadRequestError)
  t.throws(() => sb.addInterface({ srcName: 'vc0', mac: 'zz' }), BadRequestError)
  t.throws(() => sb.addInterface({ srcName: 'vc0', mtu: 20 }), BadRequestError)
  t.throws(() => sb.joinVeth({ hostName: 'vethx', mtu: 1e6 }), BadRequestError)
  t.throws(
    () => sb.addInterface({ srcName: 'vc0', addresses: ['10.0.0.1/24' as never] }),
    BadRequestError,
  )
  t.throws(() => sb.addInterface({ srcName: 'missing0' }), NotFoundError)
  t.throws(() => sb.setGateway('10.0.0.1' as never), BadRequestError)
  t.throws(() => sb.unsetGateway(6), NotFoundError)
  t.equal(JSON.stringify([ipJson(hostPath, 'addr'), ipJson(sb.path, 'addr')]), before)
  sb.addInterface({ srcName: 'vc0', dstName: 'eth0' })
  host.createLink({ kind: 'veth', name: 'vh1', peer: { name: 'vc1' } })
  t.throws(() => sb.addInterface({ srcName: 'vc1', dstName: 'eth0' }), ConflictError)
  t.ok(linkNames(hostPath).includes('vc1'), 'vc1 stayed in the host')
  t.end()
})
