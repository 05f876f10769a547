// Replays the captured two-node Go session into our node. Our node plays 0f1e2d3c4b5a; every
// packet the Go node a1b2c3d4e5f6 sent to it is fed in, in capture order, and our node's own
// steps (join the cluster, JoinNetwork("net1")) happen where the capture's marks put them.
// The raw captured bytes are peeled with @libnetwork/gossip's memberlist codec (packets and
// streams, decrypted for the AES-128 session); the NetworkDB bytes inside are this package's.
import t, { type Test } from 'tap'
import { readFileSync } from 'node:fs'
import { Keyring, decodePacket, decodeStream } from '@libnetwork/gossip'
import { NetworkDB, type Membership, type MembershipHooks } from '../src/index.js'
import { text } from './fixtures/helpers.js'
import { inboxLength } from '../src/slice.js'

const GO = 'a1b2c3d4e5f6'
const US = '0f1e2d3c4b5a'
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex')
const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'hex'))

interface Rec {
  index: number
  t_rel_s: number
  transport: 'udp' | 'tcp'
  from_node: string
  to_node: string
  hex: string
}
interface Session {
  records: Rec[]
  marks: { t_rel_s: number; event: string }[]
}
const load = (name: string): Session =>
  JSON.parse(readFileSync(`/work/shared/fixtures/networkdb/${name}.json`, 'utf8')) as Session

type Item =
  | { kind: 'user'; payload: string }
  | { kind: 'push-pull'; members: string[]; userState: string }
  | { kind: 'alive'; node: string }

/** NetworkDB-relevant items of one captured packet or stream direction, in order. */
function items(r: Rec, keyring: Keyring | undefined): Item[] {
  const buf = unhex(r.hex)
  if (r.transport === 'tcp') {
    const m = decodeStream(buf, { keyring }).message
    if (m.type === 'pushPull') {
      const members = m.states.filter((x) => x.state === 0).map((x) => x.name)
      return [{ kind: 'push-pull', members, userState: hex(m.userState) }]
    }
    return m.type === 'user' ? [{ kind: 'user', payload: hex(m.payload) }] : []
  }
  const out: Item[] = []
  for (const m of decodePacket(buf, { keyring }).messages) {
    if (m.type === 'alive') out.push({ kind: 'alive', node: m.node })
    if (m.type === 'user') out.push({ kind: 'user', payload: hex(m.payload) })
  }
  return out
}

class ReplayMembership implements Membership {
  constructor(
    readonly session: Session,
    readonly keys: Keyring | undefined,
  ) {}
  hooks!: MembershipHooks
  delivered = 0
  members = new Set<string>()
  reliable: { to: string; payload: Uint8Array }[] = []
  bestEffort: { to: string; payload: Uint8Array }[] = []
  pushPull: Item | undefined
  async start(h: MembershipHooks): Promise<void> {
    this.hooks = h
  }
  alive(): string[] {
    return [...this.members]
  }
  sendBestEffort(to: string, payload: Uint8Array): void {
    this.bestEffort.push({ to, payload })
  }
  async sendReliable(to: string, payload: Uint8Array): Promise<void> {
    this.reliable.push({ to, payload })
  }
  async join(): Promise<number> {
    // The push/pull answer of the capture (record 1) is the join.
    this.deliver(this.session.records[1]!)
    return 1
  }
  async leave(): Promise<void> {}
  deliver(r: Rec): void {
    for (const it of items(r, this.keys)) {
      if (it.kind !== 'alive') this.delivered++
      if (it.kind === 'push-pull') {
        for (const m of it.members) this.member(m)
        this.hooks.mergeRemoteState(unhex(it.userState), true)
      } else if (it.kind === 'alive') {
        this.member(it.node)
      } else {
        this.hooks.notifyMessage(unhex(it.payload))
      }
    }
  }
  member(name: string): void {
    if (name === US || this.members.has(name)) return
    this.members.add(name)
    this.hooks.memberJoined(name)
  }
  broadcasts(): string[] {
    return this.hooks.getBroadcasts(2, 1400).map(hex)
  }
}

/** Received messages beyond a turn's budget are handled in the next turns: let them. */
async function drained(): Promise<void> {
  while (inboxLength() > 0) await new Promise((resolve) => setImmediate(resolve))
}

async function replay(t: Test, name: string, key?: string): Promise<void> {
  const session = load(name)
  const keyring = key ? new Keyring([unhex(key)]) : undefined
  const m = new ReplayMembership(session, keyring)
  const db = new NetworkDB({ nodeId: US, membership: m, bulkSyncIntervalMs: 0 })
  await db.start()
  t.teardown(() => db.stop())
  const events: string[] = []
  const watching = (async () => {
    for await (const ev of db.watch({ table: 't1' })) events.push(`${ev.type} ${ev.key}`)
  })()

  await db.join([`127.0.0.1:27946`])
  // Like the Go node, ours announces itself with node-event time 3 (record 3 carries it).
  t.ok(m.broadcasts().includes('08061212080110031a0c306631653264336334623561'))

  const joinAt = session.marks.find((k) => k.event.startsWith(`${US} JoinNetwork`))!.t_rel_s
  let joining: Promise<void> | undefined
  for (const r of session.records) {
    if (r.index < 2) continue
    if (!joining && r.t_rel_s >= joinAt) {
      await drained()
      joining = db.joinNetwork('net1')
      // Same network-event time (7) as the Go node's JoinNetwork in record 21.
      t.ok(m.broadcasts().includes('08011218080110071a0c30663165326433633462356122046e657431'))
      // The unsolicited bulk sync it sends (built in time slices, so a turn later) is
      // byte-identical to record 18's.
      await new Promise((resolve) => setImmediate(resolve))
      t.equal(m.reliable.length, 1)
      t.equal(m.reliable[0]!.to, GO)
      t.equal(
        hex(m.reliable[0]!.payload),
        '0804121a10011a0c30663165326433633462356122046e6574312a020805',
      )
    }
    if (r.from_node === GO && r.to_node === US) m.deliver(r)
  }
  await joining
  await drained()
  t.same(db.networkPeers('net1'), [US, GO].sort())

  const table = db.getTable('t1', 'net1').sort((a, b) => a.key.localeCompare(b.key))
  t.same(
    table.map((e) => [e.key, e.owner, e.ltime, text(e.value)]),
    [
      ['k0', GO, 1, 'k0:defghijklmnop'],
      ['k2', GO, 3, 'k2:defghijklmnop'],
    ],
  )
  const tomb: [string, boolean, number][] = []
  db.walk('t1', (e) => void tomb.push([e.key, e.deleting, e.ltime]))
  t.same(tomb.sort(), [
    ['k0', false, 1],
    ['k1', true, 4],
    ['k2', false, 3],
  ])
  let reapIn = 0
  db.walk('t1', (e) => void (e.key === 'k1' && (reapIn = e.reapInMs)))
  t.ok(
    reapIn > 1_790_000 && reapIn <= 1_800_000,
    'residual reap time 1,800 s travelled with the delete',
  )
  // Go packs the newest event first: the compound carried k2, k1, k0; then the delete.
  t.same(events, ['create k2', 'create k1', 'create k0', 'delete k1'])
  t.same([...events].sort(), ['create k0', 'create k1', 'create k2', 'delete k1'].sort())

  // The Go node saw our node leave at the end (records 55+ are ours); its own leave of net1
  // never happened, so a1b2 is still attached.
  t.same(
    db.clusterPeers(),
    [
      { name: US, status: 'active' },
      { name: GO, status: 'active' },
    ].sort((a, b) => a.name.localeCompare(b.name)),
  )
  void watching
  t.ok(m.delivered > 20, `fed ${m.delivered} NetworkDB messages`)
}

t.test('replaying the plain Go session leaves our node with the same table', (t) =>
  replay(t, 'session_plain'),
)
t.test('replaying the AES-128 Go session leaves our node with the same table', (t) =>
  replay(t, 'session_aes128', '000102030405060708090a0b0c0d0e0f'),
)
