// Privileged: /proc/sys settings inside a test namespace; the machine's own stay untouched.
import { readFileSync } from 'node:fs'
import { execFileSync } from 'node:child_process'
import t from 'tap'
import { BadRequestError, NotFoundError } from '@libnetwork/types'
import {
  Netlink,
  getInterfaceSysctl,
  getSysctl,
  setBridgeNfCallIptables,
  setIPForward,
  setInterfaceSysctl,
  setRouteLocalnet,
} from '../src/index.js'
import { testNetns } from './helpers.js'

const inNs = (ns: string, key: string) =>
  execFileSync('ip', ['netns', 'exec', ns, 'cat', `/proc/sys/${key}`], { encoding: 'utf8' }).trim()

t.test('ip_forward, route_localnet, bridge-nf-call-iptables and per-interface settings', (t) => {
  const ns = testNetns(t, 'sys')
  const h = Netlink.open({ netns: ns })
  t.teardown(() => h.close())
  h.createLink({ kind: 'bridge', name: 'br0' })
  const rootForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8')

  t.equal(getSysctl('net.ipv4.ip_forward', { netns: ns }), '0')
  setIPForward(true, { netns: ns })
  t.equal(inNs(ns, 'net/ipv4/ip_forward'), '1')
  t.equal(getSysctl('net/ipv4/ip_forward', { netns: ns }), '1')

  setRouteLocalnet('br0', true, { netns: ns })
  t.equal(inNs(ns, 'net/ipv4/conf/br0/route_localnet'), '1')

  setInterfaceSysctl('br0', 'disable_ipv6', 1, { netns: ns, family: 6 })
  t.equal(getInterfaceSysctl('br0', 'disable_ipv6', { netns: ns, family: 6 }), '1')

  // br_netfilter's settings are per namespace on this kernel; skip only where it is not loaded.
  const nf = (() => {
    try {
      return getSysctl('net.bridge.bridge-nf-call-iptables', { netns: ns })
    } catch {
      return undefined
    }
  })()
  if (nf === undefined) {
    t.comment('br_netfilter is not loaded: bridge-nf-call-iptables not checked')
  } else {
    setBridgeNfCallIptables(nf !== '1', { netns: ns })
    t.equal(inNs(ns, 'net/bridge/bridge-nf-call-iptables'), nf === '1' ? '0' : '1')
  }
  t.equal(
    readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8'),
    rootForward,
    'root namespace untouched',
  )
  t.end()
})

t.test('bad keys and missing settings give typed errors', (t) => {
  const ns = testNetns(t, 'sys2')
  t.throws(() => getSysctl('../etc/passwd', { netns: ns }), BadRequestError)
  t.throws(() => setRouteLocalnet('bad name', true, { netns: ns }), BadRequestError)
  t.throws(() => setInterfaceSysctl('lo', 'Bad-Name', 1, { netns: ns }), BadRequestError)
  t.throws(() => getSysctl('net.ipv4.conf.nope0.forwarding', { netns: ns }), NotFoundError)
  t.end()
})
