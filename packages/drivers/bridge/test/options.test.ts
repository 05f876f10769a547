import t from 'tap'
import { IP, InterfaceAddress } from '@libnetwork/types'
import { macFor, parseBridgeOptions } from '../src/index.js'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'CHAINS',
    'LABELS',
    'bridge',
    'ipKernel',
    'macFor',
    'netlinkKernel',
    'parseBridgeOptions',
  ])
})

t.test('defaults', (t) => {
  t.same(parseBridgeOptions(undefined), {
    enableIPMasquerade: true,
    enableICC: true,
    mtu: 1500,
    defaultBridge: false,
    containerIfacePrefix: 'eth',
  })
  t.end()
})

t.test('upstream labels and typed values parse to the same options', (t) => {
  const fromLabels = parseBridgeOptions({
    'com.docker.network.bridge.name': 'docker0',
    'com.docker.network.bridge.enable_ip_masquerade': 'false',
    'com.docker.network.bridge.enable_icc': 'false',
    'com.docker.network.bridge.host_binding_ipv4': '127.0.0.1',
    'com.docker.network.driver.mtu': '1400',
    'com.docker.network.bridge.default_bridge': 'true',
    'com.docker.network.container_iface_prefix': 'net',
  })
  const typed = parseBridgeOptions({
    bridgeName: 'docker0',
    enableIPMasquerade: false,
    enableICC: false,
    hostBindingIPv4: IP.parse('127.0.0.1'),
    mtu: 1400,
    defaultBridge: true,
    containerIfacePrefix: 'net',
  })
  t.same(fromLabels, typed)
  t.equal(fromLabels.hostBindingIPv4?.toString(), '127.0.0.1')
  t.end()
})

t.test('bad options are typed errors naming the option', (t) => {
  const bad: Array<[unknown, string]> = [
    ['x', 'options'],
    [[1], 'options'],
    [{ 'com.docker.network.bridge.name': 'a name with spaces' }, 'com.docker.network.bridge.name'],
    [{ bridgeName: 'waytoolongbridgename' }, 'bridgeName'],
    [{ enableICC: 'maybe' }, 'enableICC'],
    [{ mtu: 10 }, 'mtu'],
    [{ 'com.docker.network.driver.mtu': '15OO' }, 'com.docker.network.driver.mtu'],
    [{ hostBindingIPv4: '::1' }, 'hostBindingIPv4'],
    [{ containerIfacePrefix: 'ETH0' }, 'containerIfacePrefix'],
    [{ colour: 'blue' }, 'colour'],
  ]
  for (const [raw, option] of bad) {
    t.throws(
      () => parseBridgeOptions(raw),
      { name: 'InvalidOptionError', details: { option } },
      JSON.stringify(raw),
    )
  }
  t.end()
})

t.test('MAC addresses derive from the IPv4 address', (t) => {
  t.equal(macFor(InterfaceAddress.parse('172.17.0.2/16')), '02:42:ac:11:00:02')
  t.match(macFor(undefined), /^02:42(:[0-9a-f]{2}){4}$/)
  t.end()
})
