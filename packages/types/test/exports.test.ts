import t from 'tap'

t.test('exact export surface', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'BadRequestError',
    'ConflictError',
    'ForbiddenError',
    'IP',
    'IPNet',
    'InterfaceAddress',
    'InternalError',
    'LibnetworkError',
    'NotFoundError',
    'NotImplementedError',
    'PROTOCOLS',
    'RetryError',
    'TimeoutError',
    'UnavailableError',
    'httpStatus',
    'noopLogger',
    'toLibnetworkError',
  ])
})

t.test('PROTOCOLS lists every protocol, frozen', async (t) => {
  const { PROTOCOLS } = await import('../src/index.js')
  t.same(PROTOCOLS, ['tcp', 'udp', 'sctp'])
  t.ok(Object.isFrozen(PROTOCOLS))
})
