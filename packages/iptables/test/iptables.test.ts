// Real iptables, run inside namespaces this test creates (never the root namespace).
import t from 'tap'
import { IP, LibnetworkError } from '@libnetwork/types'
import {
  Iptables,
  RuleSet,
  deleteConntrackEntries,
  detectBackends,
  execRunner,
  type Rule,
} from '../src/index.js'
import { inNetns, makeNetns, skipReason } from './netns.js'

const backends = ['nft', 'legacy'] as const

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

for (const backend of backends) {
  for (const family of [4, 6] as const) {
    t.test(`${backend} IPv${family}: chains and rules`, { skip: skipReason }, async (t) => {
      const ns = makeNetns(t)
      const ipt = await Iptables.create({ netns: ns, backend, family })
      t.equal(ipt.backend, backend)
      const before = await ipt.save()
      for (const table of ['filter', 'nat', 'raw', 'mangle'] as const) {
        t.notOk(await ipt.chainExists(table, 'LNT-A'))
        await ipt.createChain(table, 'LNT-A')
        t.ok(await ipt.chainExists(table, 'LNT-A'), `${table}: created`)
        await t.rejects(ipt.createChain(table, 'LNT-A'), { code: 'chain-exists' })
        await ipt.ensureChain(table, 'LNT-A')
        await ipt.append(table, 'LNT-A', { target: { type: 'RETURN' } })
        await ipt.ensureChain(table, 'LNT-A')
        t.ok(
          await ipt.exists(table, 'LNT-A', { target: { type: 'RETURN' } }),
          `${table}: ensure keeps rules`,
        )
        await ipt.flushChain(table, 'LNT-A')
        t.notOk(
          await ipt.exists(table, 'LNT-A', { target: { type: 'RETURN' } }),
          `${table}: flushed`,
        )
        await ipt.deleteChain(table, 'LNT-A')
        t.notOk(await ipt.chainExists(table, 'LNT-A'))
        await t.rejects(ipt.flushChain(table, 'LNT-A'), { code: 'chain-not-found' })
        await t.rejects(ipt.deleteChain(table, 'LNT-A'), { code: 'chain-not-found' })
        await ipt.deleteChain(table, 'LNT-A', { ifExists: true })
      }
      const host = family === 4 ? IP.parse('10.1.2.3') : IP.parse('fd00::3')
      const r1: Rule = {
        protocol: 'tcp',
        destination: host,
        destinationPort: 80,
        target: { type: 'ACCEPT' },
      }
      const r2: Rule = { protocol: 'udp', destinationPort: 53, target: { type: 'DROP' } }
      await ipt.ensureChain('filter', 'LNT-B')
      t.equal(await ipt.ensure('filter', 'LNT-B', r1), true)
      t.equal(await ipt.ensure('filter', 'LNT-B', r1), false, 'ensure is idempotent')
      await ipt.insert('filter', 'LNT-B', r2, 1)
      t.same(await ipt.positions('filter', 'LNT-B', r2), [1])
      t.same(await ipt.positions('filter', 'LNT-B', r1), [2])
      await ipt.delete('filter', 'LNT-B', r1)
      await t.rejects(ipt.delete('filter', 'LNT-B', r1), { code: 'rule-not-found' })
      // jump rules kept at the right position
      const jump: Rule = { target: { type: 'jump', chain: 'LNT-B' } }
      await ipt.append('filter', 'FORWARD', { target: { type: 'ACCEPT' } })
      t.equal(await ipt.ensureAt('filter', 'FORWARD', jump, 1), true)
      t.equal(await ipt.ensureAt('filter', 'FORWARD', jump, 1), false, 'already in place')
      await ipt.insert('filter', 'FORWARD', { target: { type: 'DROP' } }, 1)
      await ipt.append('filter', 'FORWARD', jump)
      t.same(await ipt.positions('filter', 'FORWARD', jump), [2, 4], 'pushed down and duplicated')
      t.equal(await ipt.ensureAt('filter', 'FORWARD', jump, 1), true)
      t.same(await ipt.positions('filter', 'FORWARD', jump), [1], 'moved back, one copy')
      // clean up and compare with the state before
      await ipt
        .batch()
        .delete('filter', 'FORWARD', jump)
        .delete('filter', 'FORWARD', { target: { type: 'DROP' } })
        .delete('filter', 'FORWARD', { target: { type: 'ACCEPT' } })
        .flush('filter', 'LNT-B')
        .deleteChain('filter', 'LNT-B')
        .commit()
      t.equal(await ipt.save(), before, 'iptables-save equals the state before')
    })

    t.test(`${backend} IPv${family}: batches`, { skip: skipReason }, async (t) => {
      const ns = makeNetns(t)
      const ipt = await Iptables.create({ netns: ns, backend, family })
      const dest = family === 4 ? IP.parse('172.30.0.2') : IP.parse('fd30::2')
      const b = ipt.batch().chain('nat', 'LNT-DNAT').chain('filter', 'LNT-FWD')
      for (let i = 0; i < 100; i++) {
        b.append('nat', 'LNT-DNAT', {
          protocol: 'tcp',
          destinationPort: 10000 + i,
          target: { type: 'DNAT', to: dest, port: 80 },
        })
        b.append('filter', 'LNT-FWD', {
          protocol: 'tcp',
          destination: dest,
          destinationPort: 80,
          comment: `port ${i}; "safe"`.replace(/"/g, ''),
          target: { type: 'ACCEPT' },
        })
      }
      t.equal(b.size, 202)
      await b.commit()
      const save = await ipt.save()
      t.equal(save.split('\n').filter((l) => l.startsWith('-A LNT-DNAT ')).length, 100)
      t.match(
        save,
        /-A LNT-FWD .*--comment "port 7; safe" -j ACCEPT/,
        'comment with space and ; stored verbatim',
      )
      // a failing step fails the whole batch, with a typed error naming the line
      const failing = ipt
        .batch()
        .append('nat', 'LNT-DNAT', {
          protocol: 'udp',
          destinationPort: 9,
          target: { type: 'RETURN' },
        })
        .delete('nat', 'LNT-DNAT', {
          protocol: 'udp',
          destinationPort: 10,
          target: { type: 'RETURN' },
        })
      const err = (await failing.commit().catch((e: unknown) => e)) as LibnetworkError
      t.ok(LibnetworkError.isInstance(err))
      t.equal(err.code, 'rule-not-found')
      t.equal(err.details.line, 3)
      t.equal(await ipt.save(), save, 'nothing of the failed batch was applied')
      await t.rejects(
        ipt
          .batch()
          .append('nat', 'NO-SUCH', { target: { type: 'RETURN' } })
          .commit(),
        {
          code: 'iptables-restore-failed',
        },
      )
      t.equal(await ipt.save(), save)
    })
  }
}

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
