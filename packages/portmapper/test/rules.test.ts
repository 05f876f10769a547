import t from 'tap'
import { IP } from '@libnetwork/types'
import {
  anchorRules,
  chainNames,
  mappingRules,
  parseMappings,
  serializeMappings,
  type PortMapping,
} from '../src/index.js'
import { ruleArgs } from '@libnetwork/iptables'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'DEFAULT_UDP_IDLE_MS',
    'PortMapper',
    'UserlandProxy',
    'anchorRules',
    'chainNames',
    'mappingRules',
    'parseMappings',
    'proxyId',
    'serializeMappings',
  ])
})

const m: PortMapping = {
  protocol: 'tcp',
  hostIP: IP.parse('0.0.0.0'),
  hostPort: 8080,
  containerIP: IP.parse('172.18.0.2'),
  containerPort: 80,
  proxied: true,
}

t.test('rules of a mapping', async (t) => {
  const chains = chainNames('LNT-PORTS')
  const rules = mappingRules(m, chains, 'br0').map((r) => [
    r.table,
    r.chain,
    ruleArgs(r.rule, 4).join(' '),
  ])
  t.same(rules, [
    [
      'nat',
      'LNT-PORTS',
      '-p tcp ! -i br0 -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80',
    ],
    [
      'nat',
      'LNT-PORTS-POST',
      '-p tcp -s 172.18.0.2/32 -d 172.18.0.2/32 -m tcp --dport 80 -j MASQUERADE',
    ],
    ['filter', 'LNT-PORTS', '-p tcp -d 172.18.0.2/32 ! -i br0 -o br0 -m tcp --dport 80 -j ACCEPT'],
  ])
  const specific = mappingRules(
    { ...m, hostIP: IP.parse('10.0.0.1'), proxied: false },
    chains,
    'br0',
  )
  t.equal(
    ruleArgs(specific[0]!.rule, 4).join(' '),
    '-p tcp -d 10.0.0.1/32 -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80',
    'without the proxy, traffic from the bridge is DNATed too (hairpin)',
  )
  t.same(
    mappingRules({ ...m, bridge: 'br1' }, chains, 'br0').map((r) => ruleArgs(r.rule, 4).join(' ')),
    [
      '-p tcp ! -i br1 -m tcp --dport 8080 -j DNAT --to-destination 172.18.0.2:80',
      '-p tcp -s 172.18.0.2/32 -d 172.18.0.2/32 -m tcp --dport 80 -j MASQUERADE',
      '-p tcp -d 172.18.0.2/32 ! -i br1 -o br1 -m tcp --dport 80 -j ACCEPT',
    ],
    "a mapping's own bridge wins over the mapper's",
  )
  const anchors = anchorRules(chains, 4, true).map(
    (r) => `${r.table} ${r.chain} ${ruleArgs(r.rule, 4).join(' ')}`,
  )
  t.same(anchors, [
    'nat PREROUTING -m addrtype --dst-type LOCAL -j LNT-PORTS',
    'nat OUTPUT ! -d 127.0.0.0/8 -m addrtype --dst-type LOCAL -j LNT-PORTS',
    'nat POSTROUTING -j LNT-PORTS-POST',
    'filter FORWARD -j LNT-PORTS',
  ])
})

t.test('stored mappings round-trip; bad ones are typed errors', async (t) => {
  const text = serializeMappings([m])
  const back = parseMappings(text)
  t.equal(back.length, 1)
  t.ok(back[0]!.hostIP.equals(m.hostIP))
  t.ok(back[0]!.containerIP.equals(m.containerIP))
  t.same({ ...back[0], hostIP: 0, containerIP: 0 }, { ...m, hostIP: 0, containerIP: 0 })
  const withBridge = parseMappings(serializeMappings([{ ...m, bridge: 'br-1' }]))
  t.equal(withBridge[0]!.bridge, 'br-1', 'the bridge round-trips')
  t.throws(() => parseMappings(serializeMappings([{ ...m, bridge: 'a b' }])), {
    code: 'invalid-mappings',
  })
  t.throws(() => parseMappings('{'), { code: 'invalid-mappings' })
  t.throws(() => parseMappings('{}'), { code: 'invalid-mappings' })
  t.throws(() => parseMappings('[{"protocol":"tcp","hostPort":0}]'), { code: 'invalid-mappings' })
  t.throws(
    () =>
      parseMappings(
        '[{"protocol":"tcp","hostPort":1,"containerPort":2,"hostIP":"x","containerIP":"1.1.1.1"}]',
      ),
    {
      code: 'invalid-ip',
    },
  )
})
