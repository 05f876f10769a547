// Real iptables, run inside namespaces this test creates (never the root namespace).
import t from 'tap'
import { IP } from '@libnetwork/types'
import {
  Iptables,
  RuleSet,
  deleteConntrackEntries,
  detectBackends,
  execRunner,
  type Rule,
} from '../src/index.js'
import { inNetns, makeNetns, skipReason } from './netns.js'

t.test('detects both backends', { skip: skipReason }, async (t) => {
  const ns = makeNetns(t)
  const info = await detectBackends(execRunner({ netns: ns }))
  t.same(info.available, ['nft', 'legacy'])
  t.equal(info.system, 'nft')
  t.same(info.inUse, [], 'a fresh namespace holds no rules')
  inNetns(ns, ['iptables-legacy', '-t', 'nat', '-N', 'SOMEONE'])
  t.same((await detectBackends(execRunner({ netns: ns }))).inUse, ['legacy'])
  const ipt = await Iptables.create({ netns: ns })
  t.equal(ipt.backend, 'legacy', 'auto picks the backend already in use')
  t.equal((await Iptables.create({ netns: ns, backend: 'nft' })).backend, 'nft')
  await t.rejects(Iptables.create({ netns: 'bad name;' }), { code: 'invalid-netns' })
  await t.rejects(Iptables.create({ netns: ns, backend: 'pf' as 'nft' }), {
    code: 'invalid-backend',
  })
})

t.test('reconcile: verify and reapply after a flush', { skip: skipReason }, async (t) => {
  const ns = makeNetns(t)
  const ipt = await Iptables.create({ netns: ns })
  const before = await ipt.save()
  const set = new RuleSet(ipt).ownChain('nat', 'LNT-PORTS').anchor({
    table: 'nat',
    chain: 'PREROUTING',
    rule: { dstType: 'LOCAL', target: { type: 'jump', chain: 'LNT-PORTS' } },
  })
  await set.apply()
  const rule = (port: number): Rule => ({
    protocol: 'tcp',
    destinationPort: port,
    target: { type: 'DNAT', to: IP.parse('172.30.0.2'), port: 80 },
  })
  await set.update({
    add: [1, 2, 3].map((p) => ({ table: 'nat', chain: 'LNT-PORTS', rule: rule(8000 + p) })),
  })
  t.same(await set.verify(), { ok: true, problems: [] })
  const good = await ipt.save()
  // someone reloads the firewall
  inNetns(ns, ['iptables', '-t', 'nat', '-F'])
  inNetns(ns, ['iptables', '-t', 'nat', '-X'])
  const broken = await set.verify()
  t.notOk(broken.ok)
  t.ok(broken.problems.length >= 2, broken.problems.join('; '))
  const fixed = await set.reapply()
  t.notOk(fixed.ok, 'reapply reports what was wrong')
  t.equal(await ipt.save(), good, 'everything re-installed')
  // a rule deleted by hand, and another rule pushed in front of our anchor
  inNetns(ns, ['iptables', '-t', 'nat', '-D', 'LNT-PORTS', '2'])
  inNetns(ns, ['iptables', '-t', 'nat', '-I', 'PREROUTING', '1', '-j', 'RETURN'])
  t.equal((await set.verify()).problems.length, 2)
  await set.reapply()
  t.ok((await set.verify()).ok)
  inNetns(ns, ['iptables', '-t', 'nat', '-D', 'PREROUTING', '-j', 'RETURN'])
  // a failed update changes nothing
  const mid = await ipt.save()
  await t.rejects(
    set.update({
      add: [{ table: 'nat', chain: 'LNT-PORTS', rule: rule(9000) }],
      remove: [{ table: 'nat', chain: 'LNT-PORTS', rule: rule(9999) }],
    }),
    { code: 'rule-not-found' },
  )
  await t.rejects(set.update({ add: [{ table: 'filter', chain: 'LNT-PORTS', rule: rule(1) }] }), {
    code: 'chain-not-owned',
  })
  t.equal(await ipt.save(), mid)
  t.equal(set.rules('nat', 'LNT-PORTS').length, 3)
  await set.update({ remove: [{ table: 'nat', chain: 'LNT-PORTS', rule: rule(8002) }] })
  t.equal(set.rules('nat', 'LNT-PORTS').length, 2)
  // concurrent updates, one failing, stay consistent with the kernel
  const results = await Promise.allSettled(
    Array.from({ length: 12 }, (_, i) =>
      set.update(
        i === 5
          ? { remove: [{ table: 'nat', chain: 'LNT-PORTS', rule: rule(12345) }] }
          : { add: [{ table: 'nat', chain: 'LNT-PORTS', rule: rule(7000 + i) }] },
      ),
    ),
  )
  t.equal(results.filter((r) => r.status === 'rejected').length, 1)
  t.equal(set.rules('nat', 'LNT-PORTS').length, 2 + 11)
  t.same(await set.verify(), { ok: true, problems: [] }, 'kernel matches the model')
  await set.remove()
  t.equal(await ipt.save(), before, 'remove leaves the tables as before')
})

t.test('conntrack entries of a port are deleted', { skip: skipReason }, async (t) => {
  const ns = makeNetns(t)
  const ipt = await Iptables.create({ netns: ns })
  // a conntrack match makes the namespace track connections
  await ipt.append('filter', 'OUTPUT', { ctstate: ['NEW'], target: { type: 'ACCEPT' } })
  inNetns(ns, [
    'bash',
    '-c',
    'echo hi > /dev/udp/127.0.0.1/5454; echo hi > /dev/udp/127.0.0.1/5455',
  ])
  t.match(inNetns(ns, ['conntrack', '-L', '-p', 'udp']), /dport=5454/)
  t.equal(
    await deleteConntrackEntries({ protocol: 'udp', destinationPort: 5454 }, { netns: ns }),
    1,
  )
  t.equal(
    await deleteConntrackEntries({ protocol: 'udp', destinationPort: 5454 }, { netns: ns }),
    0,
  )
  const left = inNetns(ns, ['conntrack', '-L', '-p', 'udp'])
  t.notMatch(left, /dport=5454/)
  t.match(left, /dport=5455/, 'other flows stay')
  await t.rejects(deleteConntrackEntries({ protocol: 'icmp' as 'udp' }, { netns: ns }), {
    code: 'invalid-protocol',
  })
  await t.rejects(deleteConntrackEntries({ protocol: 'udp', destinationPort: 0 }, { netns: ns }), {
    code: 'invalid-port',
  })
})
