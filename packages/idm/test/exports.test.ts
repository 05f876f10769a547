import t from 'tap'

t.test('exact export surface', async (t) => {
  const mod = await import('../src/index.js')
  t.same(Object.keys(mod).sort(), ['Idm'])
})
