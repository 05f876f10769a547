import t from 'tap'

t.test('the public surface is exactly this', async (t) => {
  t.same(Object.keys(await import('../src/index.js')).sort(), [
    'KernelSupportError',
    'LABELS',
    'MODES',
    'macvlan',
    'netlinkMacvlanKernel',
    'parseMacvlanOptions',
  ])
})
