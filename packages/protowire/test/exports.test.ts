import t from 'tap'

t.test('exact export surface', async (t) => {
  const mod = await import('../src/index.js')
  t.same(Object.keys(mod).sort(), [
    'MAX_FIELD',
    'ProtoReader',
    'ProtoWriter',
    'WireField',
    'WireType',
    'fieldSize',
    'fields',
    'tagSize',
    'utf8Size',
    'varintSize',
  ])
})
