import t from 'tap'
import { State } from '../src/state.js'
import { BulkSyncer, buildBulkSync, type BulkStats, type StreamLink } from '../src/bulksync.js'
import { Cluster, type Link } from '../src/cluster.js'
import { decodeGossip, type BulkSyncMessage } from '../src/proto.js'
import { receive } from '../src/slice.js'
import { bytes, fakeClock, stateInNet1 } from './fixtures/helpers.js'
import { waitFor } from './fixtures/cluster.js'

/** A node attached to net1 with p1 known and in net1, holding one entry. */
function state(nodeId: string): State {
  const s = stateInNet1(nodeId, ['p1'])
  s.handleTableEvent(
    {
      type: 'create',
      ltime: 5,
      nodeName: 'p1',
      networkId: 'net1',
      tableName: 't1',
      key: 'k',
      value: bytes('v'),
      residualReapTime: 0,
    },
    false,
  )
  return s
}

/** p1's join-time sync request for net1, enveloped as on the wire. */
async function request(): Promise<Uint8Array> {
  const p1 = new State({
    nodeId: 'p1',
    reapEntryIntervalMs: 1_800_000,
    reapNetworkIntervalMs: 1_825_000,
    nodeReapIntervalMs: 86_400_000,
    now: fakeClock().now,
  })
  return (await buildBulkSync(p1, ['net1'], true, () => 0)).msg
}

const bsm = (msg: Uint8Array): BulkSyncMessage => {
  const g = decodeGossip(msg)
  if (g.type !== 'bulk-sync') throw new Error('not a bulk sync')
  return g.message
}

/** Stream sends to p1, decoded. */
function recorder(): { sent: BulkSyncMessage[]; link: StreamLink & Link } {
  const sent: BulkSyncMessage[] = []
  return {
    sent,
    link: {
      alive: () => ['p1'],
      sendBestEffort: () => undefined,
      sendReliable: async (_node, payload) => void sent.push(bsm(payload)),
    },
  }
}

const stats = (): BulkStats => ({
  bulkBytesSent: 0,
  bulkSyncs: 0,
  bulkRetries: 0,
  tombstonesSkipped: 0,
  bulkResendsIgnored: 0,
})

t.test('a resend of a sync already answered is not answered again', async (t) => {
  const { sent, link } = recorder()
  const st = stats()
  const s = state('me')
  const b = new BulkSyncer(s, link, { timeoutMs: 30_000, retryMs: 60_000 }, st, () =>
    Promise.resolve(),
  )
  t.teardown(() => b.stop())
  const req = bsm(await request())
  await b.handle(req)
  t.equal(sent.length, 1, 'the request is answered')
  t.equal(sent[0]!.unsolicited, false, 'with an answer')
  t.same(sent[0]!.networks, ['net1'])
  // the initiator's resend timer fired before our answer reached it: the same bytes again
  await b.handle(req)
  t.equal(sent.length, 1, 'the resend gets no second answer')
  t.equal(st.bulkResendsIgnored, 1, 'counted as an ignored resend')
  // a different request from the same node (its clock moved) is a new sync
  await b.handle({ ...req, ltime: req.ltime + 1 })
  t.equal(sent.length, 2, 'a new sync is answered')
})

t.test('a resend after the window is answered again', async (t) => {
  const { sent, link } = recorder()
  const st = stats()
  // retryMs 0: the window of two retry periods is already over at the resend
  const b = new BulkSyncer(state('me'), link, { timeoutMs: 30_000, retryMs: 0 }, st, () =>
    Promise.resolve(),
  )
  t.teardown(() => b.stop())
  const req = bsm(await request())
  await b.handle(req)
  await b.handle(req)
  t.equal(sent.length, 2, 'answered twice')
  t.equal(st.bulkResendsIgnored, 0)
})

t.test('a sync request is answered while received packets wait in the queue', async (t) => {
  const { sent, link } = recorder()
  const s = state('me')
  const c = new Cluster(s, link, {
    gossipIntervalMs: 200,
    bulkSyncIntervalMs: 0,
    bulkSyncTimeoutMs: 30_000,
    bulkSyncRetryMs: 1_000,
    packetSize: 1400,
    relay: 'direct',
    gossipNodes: 3,
    fanout: 3,
  })
  s.sink = c
  t.teardown(() => c.stop())
  // Received messages queued before the request that take many turns to handle (a burst of
  // packets on a loaded node): the queue stays busy until `release`.
  let release = false
  t.teardown(() => void (release = true))
  receive(() => release)
  receive(() => release)
  c.notifyMessage(await request())
  await waitFor(() => sent.length > 0, 'the request is answered', 30_000)
  t.equal(release, false, 'before the queued messages were handled')
  t.equal(sent[0]!.unsolicited, false, 'an answer')
  t.equal(c.stats.bulkBytesReceived > 0, true, 'counted as bulk bytes')
  release = true
})
