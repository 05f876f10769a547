import t from 'tap'

t.test('export surface', async (t) => {
  const mod = await import('../src/index.js')
  t.same(Object.keys(mod).sort(), [
    'HostsFile',
    'defaultRecords',
    'formatRecord',
    'parseLine',
    'sameRecord',
    'validateHostName',
    'validateRecord',
  ])
})
