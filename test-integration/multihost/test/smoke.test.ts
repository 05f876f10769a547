// The harness's smoke test: three host namespaces on an underlay bridge, etcd on the underlay,
// and one cluster agent per host (a child process). They join each other over the underlay, an
// endpoint announced on one host becomes a name on the others, and a kill -9 of a host is
// detected and its names reaped.
import t from 'tap'
import { fileURLToPath } from 'node:url'
import { Underlay, until, type Host, type NsProcess } from './harness.js'

const isRoot = process.getuid?.() === 0
const CHILD = fileURLToPath(new URL('./agent-child.ts', import.meta.url))
/** memberlist's loopback-like profile, so a kill is detected in a second or two. */
const FAST = { probeInterval: 200, probeTimeout: 100, gossipInterval: 100, suspicionMult: 3 }

interface Line {
  ready?: { pid: number; address: string }
  member?: { type: string; name: string; state: string }
  records?: { networkId: string; added: string[]; removed: string[] }
  id?: number
  ok?: unknown
  error?: string
}

class AgentProc {
  #seq = 0
  constructor(
    readonly host: Host,
    readonly p: NsProcess,
  ) {}

  static async start(host: Host, join: string[]): Promise<AgentProc> {
    const cfg = { nodeName: host.name, bind: host.ip, port: 7946, join, gossip: FAST }
    const p = host.spawn([process.execPath, '--import', 'tsx', CHILD, JSON.stringify(cfg)], {
      lifetimeS: 180,
    })
    const a = new AgentProc(host, p)
    await p.waitLine((l) => l.startsWith('{"ready"'))
    return a
  }

  parsed(): Line[] {
    return this.p.lines.map((l) => JSON.parse(l) as Line)
  }

  async call(cmd: Record<string, unknown>): Promise<unknown> {
    const id = ++this.#seq
    this.p.send(JSON.stringify({ ...cmd, id }))
    const line = JSON.parse(await this.p.waitLine((l) => l.startsWith(`{"id":${id},`))) as Line
    if (line.error) throw new Error(line.error)
    return line.ok
  }

  /** The names this host resolves on `networkId` now, from the records it was given. */
  names(networkId: string): string[] {
    const s = new Set<string>()
    for (const l of this.parsed()) {
      if (l.records?.networkId !== networkId) continue
      for (const r of l.records.removed) s.delete(r)
      for (const r of l.records.added) s.add(r)
    }
    return [...s].sort()
  }

  alive(): Promise<string[]> {
    return this.call({ op: 'members' }).then((ms) =>
      (ms as { name: string; state: string }[])
        .filter((m) => m.state === 'alive')
        .map((m) => m.name),
    )
  }
}

t.test(
  'three agents on an underlay: join, names cross hosts, kill -9 is detected and reaped',
  { skip: isRoot ? false : 'needs root (network namespaces)' },
  async (t) => {
    const u = await Underlay.create(t, { hosts: 3 })
    const [h1, h2, h3] = u.hosts as [Host, Host, Host]
    t.match(h1.ip, /^10\.99\.0\.\d+$/)
    t.equal(
      (await h1.exec(['ip', '-br', '-4', 'addr', 'show', 'eth0'])).includes(`${h1.ip}/24`),
      true,
      'host 1 has its underlay address',
    )

    const etcd = await u.startEtcd()
    const health = await h3.exec(['curl', '-sf', '--max-time', '2', `${etcd.endpoint}/health`])
    t.match(health, /"health":"true"/, 'etcd answers from another host over the underlay')

    // h1 lists h2, which is not up yet: the agent retries it until it is.
    const a1 = await AgentProc.start(h1, [`${h2.ip}:7946`])
    const a2 = await AgentProc.start(h2, [`${h1.ip}:7946`])
    const a3 = await AgentProc.start(h3, [`${h1.ip}:7946`])
    const all = [a1, a2, a3]
    for (const a of all) {
      await until(`${a.host.name} sees 3 alive`, async () => (await a.alive()).length === 3)
    }
    t.same(await a3.alive(), ['h1', 'h2', 'h3'])

    await a1.call({
      op: 'announce',
      networkId: 'net1',
      endpointId: 'e1',
      name: 'web',
      ipv4: '10.1.0.2',
    })
    await a2.call({
      op: 'announce',
      networkId: 'net1',
      endpointId: 'e2',
      name: 'db',
      ipv4: '10.1.0.3',
    })
    await a3.call({
      op: 'announce',
      networkId: 'net1',
      endpointId: 'e3',
      name: 'cache',
      ipv4: '10.1.0.4',
    })
    await until('every host has the other two names', () =>
      all.every((a) => a.names('net1').length === 2),
    )
    t.same(a1.names('net1'), ['cache=10.1.0.4@h3', 'db=10.1.0.3@h2'])
    t.same(a2.names('net1'), ['cache=10.1.0.4@h3', 'web=10.1.0.2@h1'])

    // kill -9 of host 3's agent: the failure detector declares it dead, its names are reaped.
    await a3.p.kill('SIGKILL')
    for (const a of [a1, a2]) {
      await until(`${a.host.name} reaped h3`, () => !a.names('net1').some((n) => n.endsWith('@h3')))
      await until(`${a.host.name} saw h3 fail`, () =>
        a.parsed().some((l) => l.member?.name === 'h3' && l.member.type === 'failed'),
      )
    }
    t.same(a1.names('net1'), ['db=10.1.0.3@h2'])
    t.same(a2.names('net1'), ['web=10.1.0.2@h1'])
    t.same((await a1.alive()).sort(), ['h1', 'h2'])
  },
)
