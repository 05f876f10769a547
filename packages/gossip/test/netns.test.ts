// Real packet loss: 5 node processes inside a private network namespace whose iptables drops
// 10% of UDP datagrams (`-m statistic --mode random`). Needs root; never touches the root
// namespace.
import t from 'tap'
import { execFileSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { Proc, srcModule } from './procs.js'

const isRoot = process.getuid?.() === 0
let haveTools = false
try {
  execFileSync('ip', ['-V'], { stdio: 'ignore' })
  execFileSync('iptables', ['--version'], { stdio: 'ignore' })
  haveTools = true
} catch {
  haveTools = false
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

t.test(
  'no false deaths with 10% real UDP loss (iptables statistic) inside a namespace',
  { skip: !isRoot || !haveTools ? 'needs root and the ip/iptables tools' : false },
  async (t) => {
    const ns = `lnt-gossip-${randomBytes(4).toString('hex')}`
    const inNs = (...cmd: string[]) =>
      execFileSync('ip', ['netns', 'exec', ns, ...cmd], { encoding: 'utf8' })
    execFileSync('ip', ['netns', 'add', ns])
    const procs: Proc[] = []
    t.teardown(() => {
      for (const p of procs) p.kill()
      execFileSync('ip', ['netns', 'del', ns])
    })
    inNs('ip', 'link', 'set', 'lo', 'up')
    const config = {
      probeInterval: 200,
      probeTimeout: 80,
      gossipInterval: 40,
      suspicionMult: 3,
      disableTcpPings: true,
    }
    for (let i = 0; i < 5; i++) {
      procs.push(
        new Proc({ name: `ns-${i}`, module: srcModule, config, expect: 5 }, 'tsx', [
          'ip',
          'netns',
          'exec',
          ns,
        ]),
      )
    }
    const ready = await Promise.all(procs.map((p) => p.waitLine((l) => 'ready' in l)))
    for (const p of procs.slice(1)) p.send(`join 127.0.0.1:${String(ready[0]!.ready)}`)
    for (const p of procs) await p.waitLine((l) => 'full' in l)
    inNs(
      'iptables',
      '-A',
      'INPUT',
      '-p',
      'udp',
      '-m',
      'statistic',
      '--mode',
      'random',
      '--probability',
      '0.1',
      '-j',
      'DROP',
    )
    await sleep(6000)
    const counters = inNs('iptables', '-L', 'INPUT', '-v', '-n', '-x')
    const dropped = Number(/^\s*(\d+)\s+\d+\s+DROP/m.exec(counters)?.[1] ?? 0)
    t.ok(dropped > 20, `the kernel dropped ${dropped} datagrams`)
    for (const p of procs) p.send('stats')
    for (const p of procs) {
      const s = (await p.waitLine((l) => 'stats' in l)).stats as {
        members: number
        declaredDead: number
      }
      t.equal(s.declaredDead, 0, 'declared nobody dead')
      t.equal(s.members, 5, 'still sees all five')
    }
  },
)
