import t from 'tap'

t.test('export surface', async (t) => {
  const keys = Object.keys(await import('../src/index.js')).sort()
  t.same(keys, [
    'ClusterAgent',
    'DEFAULT_PORT',
    'ENDPOINT_IPV6_FIELD',
    'ENDPOINT_TABLE',
    'EndpointSync',
    'GO_NIL_IP',
    'decodeEndpointRecord',
    'encodeEndpointRecord',
    'endpointRecord',
    'nameRecordOf',
    'recordOf',
  ])
})
