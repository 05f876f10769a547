import t from 'tap'

t.test('exact export surface', async (t) => {
  const mod = await import('../src/index.js')
  t.same(Object.keys(mod).sort(), [
    'DEFAULT_GLOBAL_POOLS',
    'DEFAULT_IPAM',
    'DEFAULT_LOCAL_POOLS',
    'DefaultIpam',
    'GLOBAL_ADDRESS_SPACE',
    'IpamErrorCode',
    'LOCAL_ADDRESS_SPACE',
    'NULL_IPAM',
    'NullIpam',
    'SERIAL_OPTION',
    'ulaPool',
  ])
  t.equal(mod.DEFAULT_IPAM, 'default')
  t.equal(mod.NULL_IPAM, 'null')
  t.equal(mod.LOCAL_ADDRESS_SPACE, 'local')
  t.equal(mod.GLOBAL_ADDRESS_SPACE, 'global')
})

t.test('exact export surface of @libnetwork/ipam/testing', async (t) => {
  const mod = await import('../src/testing/index.js')
  t.same(Object.keys(mod).sort(), [
    'ComplianceError',
    'IPAM_COMPLIANCE_CASES',
    'ipamComplianceCases',
    'runIpamCompliance',
  ])
})
