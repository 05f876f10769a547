import t from 'tap'

t.test('exact export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'DEFAULT_LIMITS',
    'EtcdLease',
    'EtcdStore',
    'LocalStore',
    'MemoryStore',
    'RecordStore',
    'binaryCodec',
    'etcdStore',
    'jsonCodec',
    'localStore',
    'memoryStore',
  ])
  t.same(Object.keys(await import('../src/testing/index.js')).sort(), ['freePort', 'startEtcd'])
})

t.test('codecs round-trip', async (t) => {
  const { jsonCodec, binaryCodec } = await import('../src/index.js')
  const json = jsonCodec<{ a: number[] }>()
  t.same(json.decode(json.encode({ a: [1, 2] })), { a: [1, 2] })
  const bytes = new Uint8Array([0, 255, 7])
  t.same(binaryCodec().decode(binaryCodec().encode(bytes)), bytes)
})
