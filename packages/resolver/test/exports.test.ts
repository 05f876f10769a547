import t from 'tap'

t.test('export surface', async (t) => {
  const mod = await import('../src/index.js')
  t.same(Object.keys(mod).sort(), [
    'RecordTable',
    'Resolver',
    'ResolverWorker',
    'reverseToAddress',
    'startResolverWorker',
  ])
})
