// Two daemons on one machine: a second one for the same network namespace or the same data root
// is refused before it touches anything (no restore, no rule rebuild).
import t from 'tap'
import { join } from 'node:path'
import { Host, namespaces } from './harness.js'
import { busyHost, kernelState, refusedDaemon } from './two-daemons.js'

t.test(
  'a second daemon in the same network namespace is refused and changes nothing',
  async (t) => {
    const h = await busyHost(t)
    const before = await kernelState(h)
    t.match(before, /LN-DNAT.*--dport 8080/, 'the published port has its rule')
    const other = join(h.dir, 'second')
    const r = await refusedDaemon(t, h.ns, [
      ...['--exec-root', join(other, 'run'), '--data-root', join(other, 'lib')],
      ...['--sandbox-prefix', `${h.prefix}-sb2-`, '--default-network', ''],
      ...['--log-level', 'info'],
    ])
    t.equal(r.code, 1, 'exits 1')
    t.match(r.err, /another dnet daemon runs in this network namespace/)
    t.notMatch(r.err, /controller restored/, 'no restore ran')
    t.equal(await kernelState(h), before, 'links, rules and namespaces unchanged')
    t.match(await h.ok('service', 'ls'), /web\s+app/, 'the first daemon still answers')
  },
)

t.test('a second daemon on the same data root, in another namespace, is refused', async (t) => {
  const h = await busyHost(t)
  const h2 = await Host.create(t)
  const before = await kernelState(h)
  const r = await refusedDaemon(t, h2.ns, [
    ...['--exec-root', join(h2.dir, 'run'), '--data-root', join(h.dir, 'lib')],
    ...['--sandbox-prefix', `${h2.prefix}-sb-`, '--default-network', ''],
  ])
  t.equal(r.code, 1, 'exits 1')
  t.match(r.err, new RegExp(`uses the data root ${join(h.dir, 'lib')}`))
  t.equal(await kernelState(h), before, 'the first daemon’s links, rules and namespaces unchanged')
  t.same(await namespaces(h2.prefix), [h2.ns], 'nothing made in the second namespace')
})
