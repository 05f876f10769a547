// Two dnet daemons, one per host namespace on the underlay, with a [cluster] section (host 1)
// and upstream's [orchestration] keys (host 2): their agents join each other over the underlay,
// host 1 retrying host 2 until it is up, and a daemon that is killed is seen failing.
import t from 'tap'
import { Underlay, type Host } from './harness.js'
import { Daemon, untilMembers } from './daemons.js'

const isRoot = process.getuid?.() === 0

t.test(
  'dnet daemons form a cluster from [cluster] and [orchestration]',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 2 })
    const [h1, h2] = u.hosts as [Host, Host]
    const d1 = await Daemon.start(u, h1, { cluster: { join: [h2] } })
    await d1.untilLog('host 1 ready', (l) => l.msg === 'dnet daemon ready')
    t.ok(
      d1.logs().some((l) => l.msg === 'cluster: peer not reachable yet, will retry'),
      'host 1 retries host 2, which is not up',
    )
    const d2 = await Daemon.start(u, h2, {
      extraConfig: `[orchestration]\nagent = true\nbind = "${h2.ip}"\npeer = "${h1.ip}"\n`,
    })
    // Host 2 joins host 1, or host 1's retry reaches host 2 first (then host 2 logs no join).
    await untilMembers([d1, d2], 2)
    await d1.untilLog(
      'host 1 sees a second member',
      (l) => l.msg === 'cluster: member' && l.change === 'join',
    )
    t.match(
      await d1.cli(['cluster', 'ls']),
      `${h2.ip}:7946`,
      'dnet cluster ls on host 1 lists host 2',
    )
    t.notOk(
      d2.logs().some((l) => l.msg.startsWith('config [cluster]')),
      'no warning about [cluster]: it is wired, remote names included',
    )

    // kill -9 of host 2's daemon: host 1's agent sees it fail.
    await d2.kill('SIGKILL')
    await d1.untilLog(
      'host 1 sees host 2 fail',
      (l) => l.msg === 'cluster: member' && l.change === 'failed',
    )
    t.pass('the failure was detected')
    await d1.kill('SIGTERM')
    t.ok(
      d1.logs().some((l) => l.msg === 'dnet daemon stopped'),
      'host 1 stopped cleanly (agent included)',
      { stderr: d1.process.stderr.slice(-900) },
    )
  },
)
