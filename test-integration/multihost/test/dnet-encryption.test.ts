// Gossip encryption between dnet daemons: hosts with the same key form one cluster; a host with
// another key, and one with none, are kept out, and the logs say why.
import t from 'tap'
import { randomBytes } from 'node:crypto'
import { Underlay, until, type Host } from './harness.js'
import { Daemon, untilMembers } from './daemons.js'

const isRoot = process.getuid?.() === 0
const key = () => randomBytes(16).toString('base64')

t.test(
  'the right key joins, a wrong key or none is kept out',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 4 })
    const [h1, h2, h3, h4] = u.hosts as [Host, Host, Host, Host]
    const k = key()
    const [d1, d2] = await Promise.all([
      Daemon.start(u, h1, { cluster: { encryptionKey: k } }),
      Daemon.start(u, h2, { cluster: { encryptionKey: k, join: [h1] } }),
    ])
    await untilMembers([d1, d2], 2)
    t.pass('two hosts with the same key form a cluster')

    const [d3, d4] = await Promise.all([
      Daemon.start(u, h3, { cluster: { encryptionKey: key(), join: [h1] } }),
      Daemon.start(u, h4, { cluster: { join: [h1] } }),
    ])
    // Both keep retrying host 1, and host 1 says in its log that it rejects their input.
    for (const d of [d3, d4]) {
      await d.untilLog(
        'a failed join, retried',
        (l) => l.msg === 'cluster: peer not reachable yet, will retry',
      )
    }
    const rejected = await d1.untilLog(
      'host 1 to report rejected gossip',
      (l) => l.msg === 'cluster: rejected gossip input',
    )
    t.match(rejected.hint, /another encryption key, or none/, 'the log says why', { rejected })
    t.ok(Object.keys(rejected.reasons as object).length > 0, 'with the reason counts', { rejected })
    // A second round of retries has gone by, and still nobody let them in.
    for (const d of [d3, d4]) {
      await until(
        `${d.host.name} to retry again`,
        () =>
          d.logs().filter((l) => l.msg === 'cluster: peer not reachable yet, will retry').length >=
          2,
        60_000,
      )
    }
    for (const d of [d1, d2]) {
      const names = (await d.members()).map((m) => m.address)
      t.same(
        names.sort(),
        [`${h1.ip}:7946`, `${h2.ip}:7946`].sort(),
        `${d.host.name} lists only the hosts with the key`,
      )
    }
    for (const d of [d3, d4]) {
      const ms = await d.members()
      t.same(
        ms.map((m) => m.self),
        [true],
        `${d.host.name} (${d === d3 ? 'wrong key' : 'no key'}) is alone`,
      )
    }
  },
)
