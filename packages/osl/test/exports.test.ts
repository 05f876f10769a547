import t from 'tap'

t.test('the public surface is exactly this', async (t) => {
  const mod = await import('../src/index.js')
  t.same(Object.keys(mod).sort(), [
    'DEFAULT_SANDBOX_DIR',
    'NamespaceGC',
    'Osl',
    'Sandbox',
    'openSandboxSocket',
    'realNetlink',
  ])
})
