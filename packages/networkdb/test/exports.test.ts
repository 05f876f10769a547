import t from 'tap'

t.test('export surface', async (t) => {
  const keys = Object.keys(await import('../src/index.js')).sort()
  t.same(keys, [
    'DEFAULTS',
    'GossipMembership',
    'LamportClock',
    'LocalDB',
    'MessageType',
    'NETWORKDB_GOSSIP_DEFAULTS',
    'NetworkDB',
    'decodeBulkSync',
    'decodeCompound',
    'decodeGossip',
    'decodeNetworkEvent',
    'decodeNetworkPushPull',
    'decodeNodeEvent',
    'decodeTableEvent',
    'encodeBulkSync',
    'encodeCompound',
    'encodeGossip',
    'encodeNetworkEvent',
    'encodeNetworkPushPull',
    'encodeNodeEvent',
    'encodeTableEvent',
    'envelope',
    'openEnvelope',
    'startDiagnosticServer',
  ])
})
