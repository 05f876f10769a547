import t from 'tap'

t.test('the public surface is exactly this', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'DEFAULT_VXLAN_PORT',
    'EncryptionUnsupportedError',
    'LABELS',
    'PEER_TABLE',
    'VNI_END',
    'VNI_KEY',
    'VNI_START',
    'VXLAN_OVERHEAD',
    'VniPool',
    'decodePeerRecord',
    'encodePeerRecord',
    'netlinkOverlayKernel',
    'overlay',
    'parseOverlayOptions',
  ])
})

t.test('the testing subpath is exactly this', async (t) => {
  t.same(Object.keys(await import('../src/testing/index.js')).sort(), [
    'FakeCluster',
    'createAndJoin',
    'overlayNetworkRequest',
  ])
})
