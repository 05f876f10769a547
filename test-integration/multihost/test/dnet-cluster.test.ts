// Two dnet daemons, one per host namespace on the underlay, with a [cluster] section (host 1)
// and upstream's [orchestration] keys (host 2): their agents join each other over the underlay,
// host 1 retrying host 2 until it is up, and a daemon that is killed is seen failing.
import t from 'tap'
import { createRequire } from 'node:module'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Underlay, type Host, type NsProcess } from './harness.js'

const isRoot = process.getuid?.() === 0
const require = createRequire(import.meta.url)
const DNET = require
  .resolve('@libnetwork/dnet/package.json')
  .replace(/package\.json$/, 'bin/dnet.js')

interface LogLine {
  level: string
  msg: string
  [k: string]: unknown
}
const logs = (p: NsProcess): LogLine[] =>
  p.stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as LogLine)

function daemon(u: Underlay, h: Host, config: string): NsProcess {
  const dir = join(u.dir, h.name)
  mkdirSync(dir, { recursive: true })
  writeFileSync(join(dir, 'dnet.toml'), config)
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 10.99.0.1\n')
  return h.spawn([
    DNET,
    '-d',
    '--config',
    join(dir, 'dnet.toml'),
    '--exec-root',
    join(dir, 'run'),
    '--data-root',
    join(dir, 'lib'),
    '--resolv-conf',
    join(dir, 'resolv.conf'),
    '--sandbox-prefix',
    `${u.prefix}-${h.name}-sb-`,
    '--default-network',
    '',
  ])
}

async function untilLog(p: NsProcess, what: string, match: (l: LogLine) => boolean) {
  const end = Date.now() + 30_000
  while (!logs(p).some(match)) {
    if (!p.running) throw new Error(`daemon exited while waiting for ${what}: ${p.stderr}`)
    if (Date.now() > end) throw new Error(`gave up waiting for ${what}: ${p.stderr}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

t.test(
  'dnet daemons form a cluster from [cluster] and [orchestration]',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 2 })
    const [h1, h2] = u.hosts as [Host, Host]
    const d1 = daemon(u, h1, `[cluster]\nbind_address = "${h1.ip}"\njoin = ["${h2.ip}:7946"]\n`)
    await untilLog(d1, 'host 1 ready', (l) => l.msg === 'dnet daemon ready')
    t.ok(
      logs(d1).some((l) => l.msg === 'cluster: peer not reachable yet, will retry'),
      'host 1 retries host 2, which is not up',
    )
    const d2 = daemon(
      u,
      h2,
      `[orchestration]\nagent = true\nbind = "${h2.ip}"\npeer = "${h1.ip}"\n`,
    )
    await untilLog(d2, 'host 2 joined host 1', (l) => l.msg === 'cluster: joined peer')
    await untilLog(
      d1,
      'host 1 sees a second member',
      (l) => l.msg === 'cluster: member' && l.change === 'join',
    )
    t.notOk(
      logs(d2).some((l) => l.msg.startsWith('config [cluster]')),
      'no warning about [cluster]: it is wired, remote names included',
    )

    // kill -9 of host 2's daemon: host 1's agent sees it fail.
    await d2.kill('SIGKILL')
    await untilLog(
      d1,
      'host 1 sees host 2 fail',
      (l) => l.msg === 'cluster: member' && l.change === 'failed',
    )
    t.pass('the failure was detected')
    await d1.kill('SIGTERM')
    t.ok(
      logs(d1).some((l) => l.msg === 'dnet daemon stopped'),
      'host 1 stopped cleanly (agent included)',
      { stderr: d1.stderr.slice(-900) },
    )
  },
)
