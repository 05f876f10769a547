// A daemon killed between a sandbox's namespace going and its files going leaves the folder
// `<dir>/<sandbox id>`: the next start removes it (and keeps the folders of live sandboxes).
import t from 'tap'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { memoryStore, type KVStore } from '@libnetwork/datastore'
import { Controller, serviceDiscovery } from '../src/index.js'
import { fakeDriver, fakeIpam, fakeOS, type FakeOS } from './fakes.js'

function start(dir: string, store: KVStore, os: FakeOS): Promise<Controller> {
  return Controller.start({
    drivers: { fake: fakeDriver().factory },
    ipams: { default: () => fakeIpam() },
    os,
    store,
    discovery: serviceDiscovery({
      dir: join(dir, 'sb'),
      hostResolvConf: join(dir, 'resolv.conf'),
      embeddedDNS: false,
    }),
  })
}

t.test('restore removes the files of sandboxes that are gone', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'lnt-controller-unit-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  writeFileSync(join(dir, 'resolv.conf'), 'nameserver 192.0.2.53\n')
  const store = memoryStore()
  const os = fakeOS()
  const a = await start(dir, store, os)
  const kept = await a.createSandbox({ containerId: 'kept' })
  const lost = await a.createSandbox({ containerId: 'lost' })
  // "kill -9": no stop; the lost sandbox's namespace vanishes while the daemon is down, and
  // a folder of a sandbox whose record never got written is there too
  await os.destroy(lost.key!)
  mkdirSync(join(dir, 'sb', 'f'.repeat(64)))
  t.same(
    readdirSync(join(dir, 'sb')).sort(),
    [kept.id, lost.id, 'f'.repeat(64)].sort(),
    'three folders before the restart',
  )
  const b = await start(dir, store, os)
  t.teardown(() => b.stop())
  t.same(readdirSync(join(dir, 'sb')), [kept.id], 'only the live sandbox keeps its folder')
  t.ok(existsSync(join(dir, 'sb', kept.id, 'hosts')), 'its hosts file is there')
  t.same(
    b.restoreSummary.repaired.sort(),
    [
      'sandbox lost: namespace gone, removed',
      `sandbox ${lost.id}: files removed`,
      `sandbox ${'f'.repeat(64)}: files removed`,
    ].sort(),
  )
})

t.test(
  'a sandbox named under an earlier prefix is kept; strays of the new prefix go',
  async (t) => {
    const store = memoryStore()
    const os = fakeOS()
    const boot = (namespacePrefix: string) =>
      Controller.start({
        drivers: { fake: fakeDriver().factory },
        ipams: { default: () => fakeIpam() },
        os,
        store,
        namespacePrefix,
      })
    const a = await boot('dnet-sb-')
    const sb = await a.createSandbox({ containerId: 'c1' })
    t.match(sb.key, /^dnet-sb-/)
    await os.create('dnet-sb-0123456789ab') // another daemon's, under the old shared prefix
    await os.create('dnet-sb-1a2b3c4d-0123456789ab') // a stray of this daemon's new prefix
    const b = await boot('dnet-sb-1a2b3c4d-')
    t.teardown(() => b.stop())
    t.equal(b.sandbox(sb.id).key, sb.key, 'the sandbox keeps its namespace')
    t.same(b.restoreSummary.repaired, [
      'namespace dnet-sb-1a2b3c4d-0123456789ab: no sandbox record, removed',
    ])
    t.same([...os.ns.keys()].sort(), [sb.key!, 'dnet-sb-0123456789ab'].sort())
  },
)
