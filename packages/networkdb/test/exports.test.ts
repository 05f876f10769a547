import t from 'tap'

t.test('export surface', async (t) => {
  const keys = Object.keys(await import('../src/index.js')).sort()
  t.same(keys, [
    'DEFAULTS',
    'GossipMembership',
    'LamportClock',
    'LocalDB',
    'MessageType',
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
