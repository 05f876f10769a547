// The cases every backend passes, for both address families: chains and rules, and batches.
// Each backend has its own test file, so tap runs them side by side.
import type { Test } from 'tap'
import { IP, LibnetworkError } from '@libnetwork/types'
import { Iptables, type Backend, type Rule } from '../src/index.js'
import { makeNetns, skipReason } from './netns.js'

export function backendCases(t: Test, backend: Backend): void {
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
