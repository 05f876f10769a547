import t from 'tap'

t.test('export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'DEFAULT_SOCKET_DIRS',
    'DEFAULT_SPEC_DIRS',
    'PluginClient',
    'PluginErrorCode',
    'PluginRegistry',
    'addressUrl',
    'fetchCapability',
    'fetchIpamCapabilities',
    'findPlugin',
    'listPlugins',
    'parseSpecUrl',
    'remoteDriver',
    'remoteIpam',
  ])
})
