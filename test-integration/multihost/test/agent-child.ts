// One host's cluster agent as a small child process (run inside a host namespace by the
// harness). Config: JSON in argv[2]. It prints JSON lines (ready, member changes, name records,
// answers) and takes JSON-line commands on stdin; it exits when stdin closes, so it dies with
// the test that started it.
import { createInterface } from 'node:readline'
import { ClusterAgent, EndpointSync, type NameRecord } from '@libnetwork/cluster'
import { IP } from '@libnetwork/types'

interface ChildConfig {
  nodeName: string
  bind: string
  port: number
  join: string[]
  gossip?: Record<string, number>
}

type Command =
  | {
      id: number
      op: 'announce'
      networkId: string
      endpointId: string
      name: string
      aliases?: string[]
      ipv4: string
    }
  | { id: number; op: 'withdraw'; networkId: string; endpointId: string }
  | { id: number; op: 'members' }
  | { id: number; op: 'stop' }

const cfg = JSON.parse(process.argv[2] ?? '{}') as ChildConfig
const out = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n')
const names = (rs: NameRecord[]) => rs.map((r) => `${r.name}=${r.ipv4?.toString() ?? ''}@${r.node}`)

const agent = new ClusterAgent({
  nodeName: cfg.nodeName,
  bindAddress: IP.parse(cfg.bind),
  port: cfg.port,
  join: cfg.join,
  retry: { initialMs: 100, maxMs: 1_000 },
  ...(cfg.gossip ? { gossip: cfg.gossip } : {}),
})
const sync = new EndpointSync({
  tables: agent,
  onRecords: (networkId, added, removed) =>
    out({ records: { networkId, added: names(added), removed: names(removed) } }),
})
agent.onMemberChange((c) =>
  out({ member: { type: c.type, name: c.member.name, state: c.member.state } }),
)
sync.start()
await agent.start()
out({ ready: { pid: process.pid, address: agent.address } })

async function run(c: Command): Promise<unknown> {
  switch (c.op) {
    case 'announce':
      return sync.join({
        networkId: c.networkId,
        endpointId: c.endpointId,
        name: c.name,
        aliases: c.aliases ?? [],
        ipv4: IP.parse(c.ipv4),
      })
    case 'withdraw':
      return sync.leave(c.networkId, c.endpointId)
    case 'members':
      return agent.members().map((m) => ({ name: m.name, state: m.state }))
    case 'stop':
      await sync.stop()
      return agent.stop()
  }
}

const rl = createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const c = JSON.parse(line) as Command
  run(c).then(
    (result) => out({ id: c.id, ok: result ?? null }),
    (err: unknown) => out({ id: c.id, error: String(err) }),
  )
})
rl.on('close', () => process.exit(0))
