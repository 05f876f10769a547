import t from 'tap'
import { Keyring } from '@libnetwork/gossip'
import { LocalDB } from '../src/index.js'
import { FAST, count, startNode, stopAll, waitFor, type TestNode } from './fixtures/cluster.js'
import { bytes, caught, caughtAsync } from './fixtures/helpers.js'

const k1 = new Uint8Array(16).fill(1)
const k2 = new Uint8Array(16).fill(2)

t.test('encrypted cluster keeps working through a key rotation', async (t) => {
  const nodes: TestNode[] = []
  for (const name of ['key-0', 'key-1', 'key-2']) {
    nodes.push(await startNode(name, {}, { ...FAST, keyring: new Keyring([k1]) }))
  }
  t.teardown(() => stopAll(nodes))
  for (const n of nodes.slice(1)) await n.db.join([nodes[0]!.address])
  await Promise.all(nodes.map((n) => n.db.joinNetwork('net1')))
  await waitFor(() => nodes.every((n) => n.db.networkPeers('net1').length === 3), 'peers')
  nodes[0]!.db.createEntry('t1', 'net1', 'before', bytes('1'))
  await waitFor(() => nodes.every((n) => count(n) === 1), 'first entry')

  for (const n of nodes) n.db.setKey(k2)
  for (const n of nodes) n.db.setPrimaryKey(k2)
  for (const n of nodes) n.db.removeKey(k1)
  t.same(
    nodes[0]!.m.gossip.keyring!.getKeys().map((k) => k[0]),
    [2],
    'only the new key is left',
  )
  nodes[1]!.db.createEntry('t1', 'net1', 'after', bytes('2'))
  await waitFor(() => nodes.every((n) => count(n) === 2), 'entry after rotation')
  t.pass('converged after rotation')
})

t.test('key operations without a keyring fail clearly', async (t) => {
  const n = await startNode('nokey')
  t.teardown(() => stopAll([n]))
  t.equal(caught(() => n.db.setKey(k1))?.code, 'networkdb.no-keyring')
  t.equal(typeof (new LocalDB() as unknown as { setKey?: unknown }).setKey, 'undefined')
})

t.test('joining with the wrong key names the key mismatch', async (t) => {
  const a = await startNode('kma', {}, { ...FAST, keyring: new Keyring([k1]) })
  const b = await startNode('kmb', {}, { ...FAST, keyring: new Keyring([k2]) })
  t.teardown(() => stopAll([a, b]))
  const err = await caughtAsync(() => b.db.join([a.address]))
  t.equal(err?.code, 'gossip-join-key-mismatch')
  t.match(err?.message, /encryption key mismatch/)
  t.same(b.db.clusterPeers(), [{ name: 'kmb', status: 'active' }], 'nothing joined')
})
