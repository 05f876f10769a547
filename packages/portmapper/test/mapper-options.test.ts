// Options for callers that own the surrounding chains (the bridge driver): exact chain names,
// no jumps placed by the mapper, and the bridge given per mapping. Real iptables in namespaces.
import t from 'tap'
import { IP, type LibnetworkError } from '@libnetwork/types'
import { Iptables } from '@libnetwork/iptables'
import { PortAllocator } from '@libnetwork/portallocator'
import { PortMapper, anchorRules, parseMappings, serializeMappings } from '../src/index.js'
import { makeTopology, probe, skipReason } from './fixtures/topology.js'

t.test(
  'chains by name, no anchors, bridge per mapping; the caller jumps in',
  { skip: skipReason },
  async (t) => {
    const topo = await makeTopology(t, 23)
    const iptables = await Iptables.create({ netns: topo.host })
    const allocator = new PortAllocator({ range: { start: 41000, end: 41009 } })
    const chains = { dnat: 'LNX-DNAT', masquerade: 'LNX-HAIRPIN', forward: 'LNX-ACCEPT' }
    const mapper = new PortMapper({ allocator, iptables, chains, anchors: false })
    t.same(mapper.chains, chains)
    await mapper.start()
    const save = await iptables.save()
    for (const c of Object.values(chains)) t.match(save, `:${c} `, `chain ${c} exists`)
    t.notMatch(save, /-A (PREROUTING|OUTPUT|POSTROUTING|FORWARD) /, 'no jumps placed')
    t.match(await probe(topo, 'tcp', topo.hostIP, 41000), /^FAIL/, 'nothing reaches the chains yet')

    // the caller places the jumps itself
    for (const a of anchorRules(chains, 4, false)) await iptables.insert(a.table, a.chain, a.rule)
    const c = IP.parse(topo.containerIP)
    const bad = await mapper
      .map({
        protocol: 'tcp',
        containerIP: c,
        containerPort: topo.echoPort,
        bridge: 'no spaces!',
      })
      .catch((e: LibnetworkError) => e)
    t.equal((bad as LibnetworkError).code, 'invalid-bridge', 'bad bridge name is a typed error')
    t.same(allocator.allocations(), [], 'and allocates nothing')
    const [m] = await mapper.map({
      protocol: 'tcp',
      containerIP: c,
      containerPort: topo.echoPort,
      bridge: topo.bridge,
    })
    t.equal(m!.bridge, topo.bridge)
    t.equal(m!.hostPort, 41000)
    const rules = (await iptables.save()).split('\n').filter((l) => l.startsWith('-A LNX-'))
    t.ok(
      rules.some((l) => l.includes(`-o ${topo.bridge}`) && l.startsWith('-A LNX-ACCEPT')),
      'the accept rule names the mapping bridge',
    )
    t.equal(await probe(topo, 'tcp', topo.hostIP, 41000, 'jumped'), 'jumped', 'traffic flows')
    const back = parseMappings(serializeMappings(mapper.mappings()))
    t.equal(back[0]!.bridge, topo.bridge, 'the bridge is stored with the mapping')
    await mapper.unmap(m!)
    t.same(
      (await iptables.save()).split('\n').filter((l) => l.startsWith('-A LNX-')),
      [],
      'unmap removes the rules',
    )
    // the caller's jumps go first, then the mapper can delete its chains
    for (const a of anchorRules(chains, 4, false)) await iptables.delete(a.table, a.chain, a.rule)
    await mapper.stop()
    t.notMatch(await iptables.save(), /LNX-/, 'stop removes the chains')
  },
)
