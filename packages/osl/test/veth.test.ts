// Privileged: the fast join — a veth pair whose inside end is born in the sandbox.
import t from 'tap'
import { ConflictError, IP, InterfaceAddress, InternalError } from '@libnetwork/types'
import { type NetlinkFactory, realNetlink } from '../src/index.js'
import { type IpAddrLink, ipJson, linkNames, rand, testOsl } from './helpers.js'

t.test('joinVeth creates, configures, and removeInterface deletes the pair', (t) => {
  const { osl, host, hostPath } = testOsl(t)
  host.createLink({ kind: 'bridge', name: 'br0', up: true })
  const sb = osl.createSandbox(`lnt-osl-vj-${rand()}`)
  const eth0 = sb.joinVeth({
    hostName: 'vethA',
    master: 'br0',
    mac: '02:42:ac:18:00:02',
    addresses: [InterfaceAddress.parse('172.24.0.2/16')],
    gateway: IP.parse('172.24.0.1'),
  })
  t.match(eth0, { name: 'eth0', mac: '02:42:ac:18:00:02', up: true })
  t.match(ipJson<IpAddrLink[]>(sb.path, 'addr', 'show', 'dev', 'eth0'), [
    { address: '02:42:ac:18:00:02', addr_info: [{ local: '172.24.0.2', prefixlen: 16 }] },
  ])
  t.match(ipJson(sb.path, 'route', 'show', 'default'), [{ gateway: '172.24.0.1', dev: 'eth0' }])
  t.match(ipJson(hostPath, 'link', 'show', 'vethA'), [
    { master: 'br0', flags: ['BROADCAST', 'MULTICAST', 'UP'] },
  ])
  t.throws(() => sb.joinVeth({ hostName: 'vethB', dstName: 'eth0' }), ConflictError)
  t.notOk(linkNames(hostPath).includes('vethB'))
  sb.removeInterface('eth0')
  t.notOk(linkNames(hostPath).includes('vethA'), 'the host end went with it')
  t.same(linkNames(sb.path), ['lo'])
  t.end()
})

t.test('a failure at any step of joinVeth leaves no veth, address or route', (t) => {
  const state = { calls: 0, failAt: 0 }
  const factory: NetlinkFactory = (netns, options) => {
    const real = realNetlink(netns, options)
    return new Proxy(real, {
      get(target, prop: string) {
        const v = (target as unknown as Record<string, unknown>)[prop]
        if (typeof v !== 'function') return v
        return (...args: unknown[]) => {
          if (/^(create|set|add)/.test(prop) && ++state.calls === state.failAt) {
            throw new InternalError('injected', `injected failure at ${prop}`)
          }
          return (v as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
  }
  const { osl, host, hostPath } = testOsl(t, { netlink: factory })
  host.createLink({ kind: 'bridge', name: 'br0', up: true })
  const sb = osl.createSandbox(`lnt-osl-vf-${rand()}`)
  const hostLinks = linkNames(hostPath)
  // create pair, address, up, gateway
  for (let failAt = 1; failAt <= 4; failAt++) {
    state.calls = 0
    state.failAt = failAt
    t.throws(
      () =>
        sb.joinVeth({
          hostName: 'vethA',
          master: 'br0',
          addresses: [InterfaceAddress.parse('172.24.0.2/16')],
          gateway: IP.parse('172.24.0.1'),
        }),
      { code: 'injected' },
    )
    state.failAt = 0
    t.same(linkNames(hostPath), hostLinks, `#${failAt}: no veth left in the host`)
    t.same(linkNames(sb.path), ['lo'], `#${failAt}: nothing left in the sandbox`)
    t.same(ipJson(sb.path, 'route'), [], `#${failAt}: no route left`)
  }
  t.end()
})
