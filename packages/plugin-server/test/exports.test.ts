import t from 'tap'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'ACCEPTED_CONTENT_TYPES',
    'DEFAULT_SOCKET_DIR',
    'DiscoveryType',
    'ERROR_CATEGORY_HEADER',
    'ERROR_CODE_HEADER',
    'IPAM_DRIVER',
    'Label',
    'NETWORK_DRIVER',
    'PLUGIN_CONTENT_TYPE',
    'Proto',
    'RouteType',
    'pluginServer',
  ])
})
