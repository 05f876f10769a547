import t from 'tap'
import { startNode, startCluster, waitFor } from './helpers.js'
import { encodeMessage, encodePacket, type Delegate } from '../src/index.js'
import { createSocket } from 'node:dgram'

const text = (s: string) => new TextEncoder().encode(s)
const str = (b: Uint8Array) => new TextDecoder().decode(b)

function recorder(extra: Partial<Delegate> = {}) {
  const got: string[] = []
  return { got, delegate: { notifyMessage: (p: Uint8Array) => got.push(str(p)), ...extra } }
}

t.test('user messages: best effort, reliable (large), broadcast', async (t) => {
  const recs = [recorder(), recorder(), recorder()]
  const nodes = await startCluster(t, 3, (i) => ({ delegate: recs[i]!.delegate }))
  await waitFor('converged', () => nodes.every((n) => n.g.numMembers() === 3))
  const [a, b, c] = nodes.map((n) => n.g) as [any, any, any]
  a.sendBestEffort(b.name, text('udp hello'))
  a.sendCompound(b.name, [text('c1'), text('c2'), text('c3')])
  t.throws(() => a.sendCompound(b.name, []), { code: 'gossip-message-size' })
  // compressible, so the one compressed body goes to both
  const many = `many ${'y'.repeat(600)}`
  const sent0 = a.metrics.packetsSent
  a.sendBestEffortMany([b.name, c.localMember()], text(many))
  t.equal(a.metrics.packetsSent - sent0, 2, 'one datagram per member')
  const big = 'x'.repeat(200_000)
  await a.sendReliable(c.localMember(), text(big))
  // one payload object to two members: its stream body is built (compressed) once, for both
  const shared = text(`shared ${'z'.repeat(5000)}`)
  await Promise.all([a.sendReliable(b.name, shared), a.sendReliable(c.name, shared)])
  a.broadcast(text('to all'), { name: 'greet' })
  await waitFor(
    'delivered',
    () =>
      recs[1]!.got.includes('udp hello') &&
      ['c1', 'c2', 'c3'].every((c) => recs[1]!.got.includes(c)) &&
      recs[2]!.got.includes(big) &&
      recs[1]!.got.includes(many) &&
      recs[1]!.got.includes(str(shared)) &&
      recs[2]!.got.includes(str(shared)) &&
      recs[2]!.got.includes(many) &&
      recs[1]!.got.includes('to all') &&
      recs[2]!.got.includes('to all'),
  )
  // like memberlist, a broadcast may arrive more than once (the layer above deduplicates)
  const copies = recs[1]!.got.filter((m) => m === 'to all').length
  t.ok(copies >= 1 && copies <= 8, `broadcast delivered ${copies} time(s), within the limit`)
  t.equal(recs[0]!.got.length, 0, 'sender hears nothing back')
})

t.test('delegate broadcasts, push/pull state and metadata', async (t) => {
  const merged: [string, boolean][] = []
  let pending = [text('from-delegate')]
  const a = await startNode(t, {
    delegate: {
      nodeMeta: () => text('meta-a'),
      localState: (join) => text(`state-a join=${join}`),
      mergeRemoteState: (s, join) => merged.push([str(s), join]),
      getBroadcasts: (overhead, limit) => {
        t.ok(overhead >= 3 && limit > 100)
        const out = pending
        pending = []
        return out
      },
    },
  })
  const rb = recorder({
    localState: (join: boolean) => text(`state-b join=${join}`),
    mergeRemoteState: (s: Uint8Array, join: boolean) => merged.push([str(s), join]),
  })
  const b = await startNode(t, { delegate: rb.delegate })
  await b.g.join([a.g.address])
  t.same(merged.sort(), [
    ['state-a join=true', true],
    ['state-b join=true', true],
  ])
  t.equal(str(b.g.member(a.g.name)!.meta), 'meta-a')
  await waitFor('delegate broadcast delivered', () => rb.got.includes('from-delegate'))
  merged.length = 0
  await b.g.pushPullWith(a.g.name)
  t.same(merged.sort(), [
    ['state-a join=false', false],
    ['state-b join=false', false],
  ])
})

t.test('metadata updates raise update events elsewhere', async (t) => {
  let meta = 'v1'
  const nodes = await startCluster(t, 2, (i) =>
    i === 0 ? { delegate: { nodeMeta: () => text(meta) } } : {},
  )
  const [a, b] = [nodes[0]!.g, nodes[1]!.g]
  await waitFor('converged', () => b.numMembers() === 2)
  const updates: string[] = []
  b.on('update', (m) => updates.push(str(m.meta)))
  meta = 'v2'
  a.updateMeta()
  await waitFor('update seen', () => updates.includes('v2'))
  t.equal(str(b.member(a.name)!.meta), 'v2')
  t.ok(b.member(a.name)!.incarnation >= 2)
})

t.test('a node refutes a suspicion about itself', async (t) => {
  const nodes = await startCluster(t, 2)
  const [a, b] = [nodes[0]!.g, nodes[1]!.g]
  await waitFor('converged', () => a.numMembers() === 2 && b.numMembers() === 2)
  const inc = a.localMember().incarnation
  const s = createSocket('udp4')
  const forged = encodeMessage({ type: 'suspect', incarnation: inc, node: a.name, from: b.name })
  await new Promise<void>((r) =>
    s.send(encodePacket(forged), a.address.port, '127.0.0.1', () => r()),
  )
  s.close()
  await waitFor('refuted', () => a.localMember().incarnation > inc)
  await waitFor('peer sees new incarnation', () => b.member(a.name)!.incarnation > inc)
  t.equal(b.member(a.name)!.state, 'alive')
  t.equal(a.metrics.counters.refutations, 1)
})

t.test('misuse gives typed errors and changes nothing', async (t) => {
  const { Gossip } = await import('../src/index.js')
  const idle = new Gossip({ name: 'idle', bindPort: 0 })
  t.throws(() => idle.sendBestEffort('x', text('a')), { code: 'gossip-not-running' })
  t.throws(() => idle.address, { code: 'gossip-not-started' })
  const a = await startNode(t)
  await t.rejects(a.g.start(), { code: 'gossip-started' })
  t.throws(() => a.g.sendBestEffort('nobody', text('a')), { code: 'gossip-unknown-node' })
  t.throws(() => a.g.sendBestEffortMany([a.g.name, 'nobody'], text('a')), {
    code: 'gossip-unknown-node',
  })
  t.throws(() => a.g.sendBestEffort(a.g.name, new Uint8Array(70_000)), {
    code: 'gossip-message-size',
  })
  t.throws(() => a.g.broadcast(new Uint8Array(2000)), { code: 'gossip-message-size' })
  await t.rejects(a.g.join(['127.0.0.1:1']), { code: 'gossip-join' })
  await t.rejects(a.g.join(['nonsense']), { code: 'gossip-address' })
  t.equal(a.g.numMembers(), 1)
  t.equal(a.g.metrics.packetsSent, 0, 'nothing was sent')
  await a.g.stop()
  await a.g.stop()
  await t.rejects(a.g.start(), { code: 'gossip-stopped' })
})

t.test('join fires for this node during start, as in memberlist', async (t) => {
  const { Gossip } = await import('../src/index.js')
  const g = new Gossip({ name: 'self-join', bindPort: 0 })
  const joined: string[] = []
  g.on('join', (m) => joined.push(m.name))
  await g.start()
  t.teardown(() => g.stop())
  t.same(joined, ['self-join'])
  t.equal(g.localMember().state, 'alive')
  t.equal(g.localMember().incarnation, 1)
  t.same(g.localMember().protocol, [1, 5, 2])
})

t.test('nodes advertising an incompatible protocol range are refused', async (t) => {
  const a = await startNode(t)
  const s = createSocket('udp4')
  const alive = (node: string, vsn: number[]) =>
    encodePacket(
      encodeMessage({
        type: 'alive',
        incarnation: 1,
        node,
        addr: Uint8Array.of(127, 0, 0, 1),
        port: 9,
        meta: null,
        vsn: Uint8Array.from(vsn),
      }),
    )
  for (const [node, vsn] of [
    ['too-new', [6, 9, 7, 0, 0, 0]],
    ['fine', [1, 5, 2, 0, 0, 0]],
  ] as const) {
    await new Promise<void>((r) =>
      s.send(alive(node, [...vsn]), a.g.address.port, '127.0.0.1', () => r()),
    )
  }
  s.close()
  await waitFor('compatible one accepted', () => a.g.member('fine') !== undefined)
  t.equal(a.g.member('too-new'), undefined)
  t.equal(a.g.metrics.counters.incompatibleProtocol, 1)
})

t.test('a throwing delegate is counted and does not break the node', async (t) => {
  const boom = () => {
    throw new Error('delegate bug')
  }
  const a = await startNode(t, {
    delegate: { notifyMessage: boom, getBroadcasts: boom, mergeRemoteState: boom },
  })
  const b = await startNode(t)
  await b.g.join([a.g.address])
  b.g.sendBestEffort(a.g.name, text('x'))
  await waitFor('counted', () => (a.g.metrics.counters.delegateErrors ?? 0) >= 3)
  await waitFor('still converged', () => a.g.numMembers() === 2 && b.g.numMembers() === 2)
  t.equal(a.g.localMember().state, 'alive')
})
