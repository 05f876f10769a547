import t from 'tap'

t.test('export surface', async (t) => {
  const mod = await import('../src/index.js')
  t.same(Object.keys(mod).sort(), [
    'DEFAULT_IPV4_NAMESERVERS',
    'DEFAULT_IPV6_NAMESERVERS',
    'DEFAULT_RESOLV_CONF_PATH',
    'EMBEDDED_DNS_ADDRESS',
    'SYSTEMD_RESOLVED_PATH',
    'atomicWriteFile',
    'buildContainerResolvConf',
    'contentHash',
    'emptyResolvConf',
    'filterNameservers',
    'formatResolvConf',
    'hashPath',
    'isSystemdResolvedStub',
    'mergeOptions',
    'parseResolvConf',
    'readHostResolvConf',
    'validateOption',
    'validateSearchDomain',
    'writeContainerResolvConf',
  ])
})
