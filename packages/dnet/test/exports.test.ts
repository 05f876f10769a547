import t from 'tap'

t.test('exact export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'ApiServer',
    'DEFAULT_HOST',
    'Daemon',
    'MAX_BODY_BYTES',
    'createLogger',
    'defaults',
    'loadConfig',
    'openapi',
    'parseConfig',
    'parseHostPort',
    'parsePublish',
    'routes',
    'runCli',
    'schemas',
  ])
})
