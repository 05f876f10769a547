// Privileged: failures injected at every step of a join leave nothing behind — the interface
// is back in the host under its old name and settings, with no address or route.
import t from 'tap'
import { BadRequestError, IP, IPNet, InterfaceAddress, InternalError } from '@libnetwork/types'
import { type JoinOptions, type NetlinkFactory, realNetlink } from '../src/index.js'
import { type IpAddrLink, ipJson, linkNames, rand, testOsl } from './helpers.js'

const MUTATING = new Set([
  'setLink',
  'deleteLink',
  'addAddress',
  'deleteAddress',
  'addRoute',
  'deleteRoute',
  'addNeighbor',
  'deleteNeighbor',
])

/** Real netlink, except that the `failAt`-th change (counted across namespaces) throws once. */
function faulty() {
  const state = { calls: 0, failAt: 0 }
  const factory: NetlinkFactory = (netns, options) => {
    const real = realNetlink(netns, options)
    return new Proxy(real, {
      get(target, prop: string) {
        const v = (target as unknown as Record<string, unknown>)[prop]
        if (typeof v !== 'function') return v
        return (...args: unknown[]) => {
          if (MUTATING.has(prop) && ++state.calls === state.failAt) {
            throw new InternalError(
              'injected',
              `injected failure at change #${state.calls} (${prop})`,
            )
          }
          return (v as (...a: unknown[]) => unknown).apply(target, args)
        }
      },
    })
  }
  return { state, factory }
}

const JOIN: JoinOptions = {
  srcName: 'vc0',
  mac: '02:42:ac:16:00:02',
  mtu: 1400,
  addresses: [InterfaceAddress.parse('172.22.0.2/16'), InterfaceAddress.parse('fd00:22::2/64')],
  gateway: IP.parse('172.22.0.1'),
  gatewayV6: IP.parse('fd00:22::1'),
  routes: [
    {
      destination: IPNet.parse('192.168.60.0/24'),
      routeType: 'nexthop',
      nextHop: IP.parse('172.22.0.254'),
    },
  ],
}
// move, mac, mtu, 2 addresses, up, 2 gateways, 1 route
const STEPS = 9

t.test('a failure at each step of a join is undone completely', (t) => {
  const { state, factory } = faulty()
  const { osl, host, hostPath } = testOsl(t, { netlink: factory })
  const sb = osl.createSandbox(`lnt-osl-rb-${rand()}`)
  host.createLink({ kind: 'veth', name: 'vh0', peer: { name: 'vc0' } })
  const original = host.link('vc0')
  const snapshot = () =>
    JSON.stringify([
      ipJson(sb.path, 'addr'),
      ipJson(sb.path, 'route'),
      ipJson(sb.path, '-6', 'route'),
      ipJson(hostPath, 'route'),
    ])
  const clean = snapshot()

  for (let failAt = 1; failAt <= STEPS; failAt++) {
    state.calls = 0
    state.failAt = failAt
    t.throws(() => sb.join(JOIN), { code: 'injected' }, `failure at change #${failAt}`)
    state.failAt = 0
    const vc0 = ipJson<IpAddrLink[]>(hostPath, 'addr', 'show', 'dev', 'vc0')[0]
    t.ok(vc0, `#${failAt}: vc0 is back in the host`)
    t.match(vc0, { address: original.mac, mtu: original.mtu }, `#${failAt}: MAC and MTU restored`)
    t.notOk(vc0!.flags.includes('UP'), `#${failAt}: down`)
    t.same(
      vc0!.addr_info.filter((a) => a.scope === 'global'),
      [],
      `#${failAt}: no address`,
    )
    t.same(linkNames(sb.path), ['lo'], `#${failAt}: the sandbox holds nothing`)
    t.equal(snapshot(), clean, `#${failAt}: no address or route left in either namespace`)
    t.same(sb.info().routes, [])
    t.equal(sb.info().gateway, undefined)
  }

  // With no failure the same join goes through: every step above was a real one.
  state.calls = 0
  const iface = sb.join(JOIN)
  t.equal(state.calls, STEPS)
  t.match(iface, { name: 'eth0', mac: JOIN.mac, mtu: 1400, up: true })
  t.match(ipJson(sb.path, 'route', 'show', '192.168.60.0/24'), [
    { gateway: '172.22.0.254', dev: 'eth0' },
  ])
  t.end()
})

t.test('a kernel refusal half-way (unreachable gateway) is undone as well', (t) => {
  const { osl, host, hostPath } = testOsl(t)
  const sb = osl.createSandbox(`lnt-osl-rk-${rand()}`)
  host.createLink({ kind: 'veth', name: 'vh0', peer: { name: 'vc0' } })
  t.throws(
    () =>
      sb.join({
        srcName: 'vc0',
        addresses: [InterfaceAddress.parse('172.23.0.2/16')],
        routes: [
          {
            destination: IPNet.parse('192.168.70.0/24'),
            routeType: 'nexthop',
            nextHop: IP.parse('10.250.0.1'),
          },
        ],
      }),
    BadRequestError,
  )
  t.ok(linkNames(hostPath).includes('vc0'))
  t.same(linkNames(sb.path), ['lo'])
  // The driver's part of a failed join: delete its veth; nothing of the join remains.
  host.deleteLink('vh0')
  t.notOk(linkNames(hostPath).some((n) => n === 'vc0' || n === 'vh0'))
  t.end()
})
