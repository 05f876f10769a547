// Links carry their owner (a daemon instance) in their alias, and restore removes only stale
// links of its own owner: another daemon's bridges in the namespace stay.
import t from 'tap'
import { bridge } from '../src/index.js'
import { noopLogger } from '@libnetwork/types'
import { freshNs, id, netReq, sh } from './helpers.js'

const links = async (ns: string): Promise<Record<string, string>> =>
  Object.fromEntries(
    (JSON.parse(await sh('ip', '-n', ns, '-j', '-d', 'link', 'show')) as any[]).map((l) => [
      l.ifname,
      l.ifalias ?? '',
    ]),
  )

t.test('restore removes only the stale links of its own owner', async (t) => {
  const ns = await freshNs(t)
  const driver = (owner?: string) => {
    const d = bridge(
      { iptables: false, ...(owner ? { owner } : {}) },
      { netns: ns },
    )({ logger: noopLogger })
    t.teardown(() => d.stop())
    return d
  }
  const one = driver('one')
  await one.restore({ networks: [], endpoints: [] })
  await one.createNetwork(netReq(id('a'), '10.30.0.0/24'))
  const two = driver('two')
  await two.restore({ networks: [], endpoints: [] })
  await two.createNetwork(netReq(id('b'), '10.31.0.0/24'))
  const legacy = driver()
  await legacy.restore({ networks: [], endpoints: [] })
  await legacy.createNetwork(netReq(id('c'), '10.32.0.0/24'))
  const all = await links(ns)
  t.equal(all[`br-${'a'.repeat(12)}`], `libnetwork:one:${id('a')}`, 'owner in the alias')
  t.equal(all[`br-${'b'.repeat(12)}`], `libnetwork:two:${id('b')}`)
  t.equal(all[`br-${'c'.repeat(12)}`], `libnetwork:${id('c')}`, 'no owner: the former alias')

  // "one" restarts and its records no longer name its network: only its bridge goes
  const again = driver('one')
  const report = await again.restore({ networks: [], endpoints: [] })
  t.same(report.removed, [`bridge br-${'a'.repeat(12)}`])
  const after = await links(ns)
  t.notOk(after[`br-${'a'.repeat(12)}`], "one's stale bridge removed")
  t.ok(after[`br-${'b'.repeat(12)}`], "two's bridge stays")
  t.ok(after[`br-${'c'.repeat(12)}`], 'the owner-less bridge stays')
  // an owner-less driver judges only owner-less links
  const report2 = await driver().restore({ networks: [], endpoints: [] })
  t.same(report2.removed, [`bridge br-${'c'.repeat(12)}`])
  t.ok((await links(ns))[`br-${'b'.repeat(12)}`], "two's bridge still stays")
})

t.test('an owner must be a short plain name', async (t) => {
  for (const owner of ['', 'a:b', 'x'.repeat(33), 'sp ace'])
    t.throws(() => bridge({ owner }), { code: 'invalid-owner' }, JSON.stringify(owner))
})
